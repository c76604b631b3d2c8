"""The ``relais`` command line: the only module that assembles the API and the flows."""
