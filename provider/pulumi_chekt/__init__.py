"""pulumi-chekt: declare CHeKT site devices in code or site files and converge them with Pulumi."""

__version__ = "0.1.0"
