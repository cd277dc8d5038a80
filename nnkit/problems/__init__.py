"""Problems with known answers that the lessons and methods are tried on: data for the first lessons (``toys``),
2-D densities (``densities``), the square toy of calibration with its exact posterior (``square_toy``), decaying
2-D turbulence (``navier_stokes``), radial spectra (``spectra``), the mini land model (``landmodel``) and the toy
sea-ice model (``seaice``). Problems import only ``nnkit.core``."""
