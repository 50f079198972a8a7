"""Reference solution of exercise 20 (predict): any image into the model's input, and the class it predicts."""

import torch
from PIL import Image
from torchvision import transforms


def prepare(image: Image.Image) -> torch.Tensor:
    """任意图片 → 模型的输入 (1, 3, 32, 32)：转成 RGB、缩放到 32×32、ToTensor、加上批次维。
    Any image → the model's input (1, 3, 32, 32): convert to RGB, resize to 32×32, ToTensor, add the batch
    dimension."""
    ### BEGIN SOLUTION
    image = image.convert("RGB")  # a PNG may have 4 channels (RGBA), a grayscale image 1
    x = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])(image)  # (3, 32, 32)
    return x.unsqueeze(0)  # (1, 3, 32, 32): a batch of one image
    ### END SOLUTION


def predict(model, image: Image.Image, classes: list[str]) -> str:
    """model 认为 image 是哪一类：返回类别名。 / The class model predicts for image, as its name."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        scores = model(prepare(image))  # (1, len(classes))
    return classes[scores.argmax(dim=1).item()]
    ### END SOLUTION
