"""The ``advmcf`` command line (placeholder until the validation issue lands)."""


def main(argv=None) -> int:
    raise SystemExit("advmcf: no commands yet")
