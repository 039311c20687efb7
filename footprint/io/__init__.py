"""The files people exchange: reading French office files (``tabular``), writing outputs all or
nothing (``output_files``) and French number formatting for people (``formatting``)."""
