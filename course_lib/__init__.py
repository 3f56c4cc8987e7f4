"""Reference implementation of the course *Deep Learning for Signal Processing*.

Chapter 1 (image classification with an MLP) lives in :mod:`course_lib.mnist`,
Chapter 2 (audio denoising with a linear model) in :mod:`course_lib.denoise`.
Shared pieces (device choice, seeding, checkpoints, progress bars) are in
:mod:`course_lib.core`. The book pages and the graded exercises call these
functions; nothing is re-implemented in a notebook.
"""

from course_lib.core import get_device, load_checkpoint, save_checkpoint, seed_everything

__version__ = "0.1.0"

__all__ = ["get_device", "load_checkpoint", "save_checkpoint", "seed_everything", "__version__"]
