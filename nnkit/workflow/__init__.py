"""The research workflow: ``nnkit calibrate`` (``calibrate``), which reads an ensemble, a spec and observations
(``inputs``), trains one sampler (``methods``) and writes draws, summaries, plots, a self-validation and an HTML
report (``report``)."""
