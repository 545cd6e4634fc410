"""Entry point of the root Pulumi project: converge the site files matched by chekt:sites."""

from pulumi_chekt.program import main

main()
