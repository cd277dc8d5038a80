"""Training helpers every estimator shares: the progress bar, the history record, keep-the-best-weights early
stopping and the not-fitted check. No torch import: numpy lessons use them too.

History: every estimator's ``history`` is a dict with the keys of ``new_history`` -- "step" (the steps recorded),
"train_loss" and "val_loss" (at those steps; "val_loss" stays empty without held-out data), "best_step" (the step
whose weights were kept, the last one without early stopping) and "seconds" (wall time of the fit) -- plus lists
of the class's own.
"""
from __future__ import annotations

import math


def progress(iterable, desc, enabled):
    """``iterable`` with a ``tqdm.auto`` progress bar when ``enabled``, else unchanged."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc)


def new_history(*own):
    """An empty history: step, train_loss, val_loss (lists), best_step (None), seconds (0.0), and one list per name
    in ``own``."""
    history = {"step": [], "train_loss": [], "val_loss": [], "best_step": None, "seconds": 0.0}
    history.update({name: [] for name in own})
    return history


def record(history, step, train_loss, val_loss=None, **own):
    """Append one recorded step to ``history`` (floats; val_loss only when there is held-out data)."""
    history["step"].append(int(step))
    history["train_loss"].append(float(train_loss))
    if val_loss is not None:
        history["val_loss"].append(float(val_loss))
    for name, value in own.items():
        history[name].append(value)


class KeepBest:
    """Early stopping that keeps a torch module's weights at its lowest validation loss.

    ``update(val_loss, step)`` after each validation returns True when the loss improved; ``waited`` counts the
    validations since the last improvement (for a patience rule); ``restore()`` loads the best weights back.
    """

    def __init__(self, module):
        self.module, self.best_loss, self.best_step, self.waited = module, math.inf, None, 0
        self._state = None

    def update(self, val_loss, step):
        if val_loss < self.best_loss:
            self.best_loss, self.best_step, self.waited = val_loss, step, 0
            self._state = {k: v.clone() for k, v in self.module.state_dict().items()}
            return True
        self.waited += 1
        return False

    def restore(self):
        """Load the best weights (if any validation ran) and return the step they come from (None otherwise)."""
        if self._state is not None:
            self.module.load_state_dict(self._state)
        return self.best_step


def check_fitted(estimator, attribute, fit_call="fit(x, y)"):
    """Raise RuntimeError unless ``estimator`` has ``attribute``, which its fit sets."""
    if not hasattr(estimator, attribute):
        raise RuntimeError(f"{type(estimator).__name__} is not fitted; call {fit_call} first")
