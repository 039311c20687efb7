"""``python -m footprint`` (or ``python -m cli``): the command line, the top layer beside the
dashboard. One module per command group: ``estimate`` (one workload typed on the command line),
``inventory`` (declarations, inventory, usage logs, measurements, local factor values),
``scenarios`` (scenarios, recommendations, the PCAET/BEGES export); ``arguments`` holds what they
share (argparse in French, numbers and years typed by a person, ``--db``); ``main`` parses,
dispatches and turns every failure into a French message and an exit code.

Must not: be imported by the library (``footprint``, ``scenarios``, ``emission_factors``) nor by
the dashboard.
"""
