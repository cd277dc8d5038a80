"""What the lessons need beyond the algorithms: exercise self-checks (``checks``), interactive explorers
(``widgets``), both split by lesson group like the layers (basics 01-03, spectral 04-06, inference 07-12, sites
13, seaice 14), and the kit's figure style (``plotting``). Only ``teach`` may import from every other layer."""
