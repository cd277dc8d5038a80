"""Lessons 04-06: spectral bias (``bias``), Fourier features and the scaled-sine layer (``fourier``) and
multi-stage networks (``multistage``). They import ``nnkit.core`` and ``nnkit.problems``."""
