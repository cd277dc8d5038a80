"""Lessons 07-13, the inference methods: SVGD (``svgd``), adaptive Metropolis and its diagnostics (``mcmc``), the
SVGD-BNN (``bnn``) and its deterministic baseline (``baseline``) on a shared base (``regression``), PCA-reduced
surrogates (``surrogate``), invertible networks (``flows``), diffusion-based UQ (``dbuq``), posterior samplers on
one contract (``posteriors``) and scores (``metrics``). They import ``nnkit.core`` and ``nnkit.problems``."""
