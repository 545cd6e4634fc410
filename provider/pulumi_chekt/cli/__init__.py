"""``chekt-devices``: the command line for site files and the CHeKT API.

Subcommands: ``validate`` (site files, offline), ``export`` (a live site as a site file), ``list``
(the devices the API holds) and ``summarize`` (``pulumi preview --json`` as markdown for a pull
request). The entry point is ``pulumi_chekt.cli.__main__:main``.
"""
