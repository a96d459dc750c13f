"""Opinion maps and common ground: Pol.is-style groups and consensus, plus a bridging lens."""
