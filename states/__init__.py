"""The lifecycles of relais, declared as data, and the one engine that runs them."""
