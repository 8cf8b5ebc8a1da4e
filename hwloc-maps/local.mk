## hwloc-maps: fragment of the top-level Makefile.am
