"""Admin tools of a district: the `haochaping` command line."""
