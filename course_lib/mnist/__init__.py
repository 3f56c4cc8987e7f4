"""Chapter 1: classifying MNIST digits with a multilayer perceptron.

Data (:mod:`.data`), the model (:mod:`.model`), training and evaluation
(:mod:`.train`), analysis of what the network learned (:mod:`.analysis`),
figures (:mod:`.plot`) and the sweep behind the book's widgets (:mod:`.sweep`).
"""

from course_lib.mnist.analysis import (
    compute_best_examples,
    compute_embedding,
    compute_layer_embeddings,
    compute_pca,
    compute_separability,
)
from course_lib.mnist.data import MEAN, STD, MNISTData, denormalize, flatten_normalize, load_mnist, read_idx
from course_lib.mnist.model import MLP, compute_layer_outputs
from course_lib.mnist.train import (
    compute_accuracy,
    evaluate_mlp,
    load_mlp,
    make_optimizer,
    predict_proba,
    save_mlp,
    train_mlp,
    train_step,
)

__all__ = [
    "MEAN",
    "MLP",
    "STD",
    "MNISTData",
    "compute_accuracy",
    "compute_best_examples",
    "compute_embedding",
    "compute_layer_embeddings",
    "compute_pca",
    "compute_separability",
    "compute_layer_outputs",
    "denormalize",
    "evaluate_mlp",
    "flatten_normalize",
    "load_mlp",
    "load_mnist",
    "make_optimizer",
    "predict_proba",
    "read_idx",
    "save_mlp",
    "train_mlp",
    "train_step",
]
