"""Lessons 01-03 in numpy float64: gradient descent (``gd``), back propagation by hand (``backprop``) and
universal approximation by construction (``approx``). They import only ``nnkit.core`` and never load torch."""
