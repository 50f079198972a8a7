"""Reference solution of exercise 16 (pretrained): give VGG16 a new head for 10 classes, and freeze its features."""

from torch import nn


def adapt_vgg16(model: nn.Module, num_classes: int = 10) -> nn.Module:
    """把 VGG16 的最后一层 classifier[6]（4096 → 1000）换成 4096 → num_classes，返回模型。
    Replace VGG16's last layer, classifier[6] (4096 → 1000), with 4096 → num_classes; return the model."""
    ### BEGIN SOLUTION
    model.classifier[6] = nn.Linear(4096, num_classes)
    return model
    ### END SOLUTION


def freeze_features(model: nn.Module) -> nn.Module:
    """冻结卷积部分 model.features，只让 classifier 训练，返回模型。 / Freeze model.features so that only the
    classifier trains; return the model."""
    ### BEGIN SOLUTION
    for p in model.features.parameters():
        p.requires_grad = False
    return model
    ### END SOLUTION
