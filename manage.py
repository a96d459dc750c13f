#!/usr/bin/env python
from commonweal.cli import main

if __name__ == "__main__":
    main()
