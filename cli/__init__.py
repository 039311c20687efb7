"""``python -m footprint`` (or ``python -m cli``): the command line, the top layer beside the
dashboard. One module per command group, each with its ``COMMAND``, ``add_parsers`` and ``run``:
``estimate`` (one workload typed on the command line), ``declarations`` (the declarations, one by
one or by file), ``inventory`` (the totals of a year), ``usage`` (the logs of an API gateway),
``factors`` (the collectivité's own factor values), ``measure`` (CodeCarbon), ``scenarios`` (the
trajectories to 2030), ``export`` (the PCAET/BEGES tables) and ``recommend`` (sobriety);
``arguments`` holds what they share (argparse in French, numbers and years typed by a person,
``--db`` and the store it opens), ``output`` what they print alike; ``main`` parses, dispatches
and turns every failure into a French message and an exit code.

Must not: be imported by the library (``footprint``, ``scenarios``, ``emission_factors``) nor by
the dashboard.
"""
