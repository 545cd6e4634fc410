"""Entry point of the root Pulumi project (Pulumi.yaml: main: program/)."""

from pulumi_chekt.program import main

main()
