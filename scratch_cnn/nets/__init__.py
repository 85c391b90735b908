"""Networks: the book's SimpleConvNet and DeepConvNet, LeNet and a small AlexNet."""

from .base import Network
from .models import AlexNet, DeepConvNet, LeNet, SimpleConvNet

__all__ = ["AlexNet", "DeepConvNet", "LeNet", "Network", "SimpleConvNet"]
