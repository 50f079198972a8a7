"""Every exercise's words: the task, what a correct answer produces, and the hints (English; Chinese in the catalog).

One row per exercise: (lesson number, task, expect, hints[, time limit in seconds]). The registry
(exercises/__init__.py) turns the rows into `Exercise`s; the starter's header shows task and expect in
Chinese and English, and `torchstart hint N` shows the hints one at a time, the gentlest first.
"""

from __future__ import annotations

from ..i18n import N_

TEXTS: tuple[tuple, ...] = (
    (1, N_("write environment(): a dict with torch's version and whether CUDA and MPS can be used now."),
     N_("a dict whose \"torch\" is the same string as torch.__version__ and whose \"cuda\" and \"mps\" are True or "
        "False, as torch says on this machine."),
     (N_("torch.__version__ is a string such as \"2.6.0\"."),
      N_("torch.cuda.is_available() and torch.backends.mps.is_available() answer True or False — mind the "
         "brackets: without them you get the function itself."))),
    (2, N_("write public_names(obj): the names dir(obj) lists, without those that start with _, sorted; and "
           "classes_in(module): the public names whose value is a class."),
     N_("classes_in(torch.utils.data) holds Dataset and DataLoader but no function such as random_split."),
     (N_("dir(obj) returns a list of strings; keep a name when not name.startswith(\"_\")."),
      N_("getattr(module, name) gives the value behind a name; isinstance(value, type) is True for classes only "
         "— functions are callable too, so callable() is not enough."))),
    (3, N_("write the course's Dataset MyData(root_dir, label_dir): item i is (the i-th image of "
           "root_dir/label_dir as an RGB PIL image, label_dir), len() is the number of images; and "
           "train_set(root_dir) = the ants dataset + the bees dataset."),
     N_("on the embedded sample, train/ants and train/bees hold 40 images each, so train_set has 80: ants "
        "first, bees last; every image comes back as RGB, the GIF too."),
     (N_("os.listdir(os.path.join(root_dir, label_dir)) lists the file names; keep that list in __init__."),
      N_("Image.open(path) opens one image; one file of train/ants is a palette GIF, so return "
         "image.convert(\"RGB\")."),
      N_("Adding two Datasets with + gives a ConcatDataset: its items are the first one's, then the second's."))),
    (4, N_("write write_line(log_dir): the course's y = 2x for x = 0…99 written with a SummaryWriter under the tag "
           "\"y=2x\"."),
     N_("tensorboard --logdir on that folder shows a straight line from (0, 0) to (99, 198); the check reads the "
        "event file back with TensorBoard's own reader."),
     (N_("writer = SummaryWriter(log_dir), then writer.add_scalar(tag, value, step) in a loop."),
      N_("add_scalar takes the tag, then the value (y = 2x), then the step (x); close the writer at the end."))),
    (5, N_("write bgr_to_rgb(image): an OpenCV image (B, G, R channels) as R, G, B, by hand; and to_gray(image): "
           "its grayscale, 0.299·R + 0.587·G + 0.114·B, as uint8."),
     N_("the same arrays cv2.cvtColor gives with COLOR_BGR2RGB and (within one level) COLOR_BGR2GRAY."),
     (N_("An OpenCV image is a NumPy array (H, W, 3) whose last axis is B, G, R."),
      N_("image[:, :, ::-1] reverses the last axis; image[:, :, 0] is the blue channel."))),
    (6, N_("write to_tensor(image), what transforms.ToTensor() does, and normalize(x, mean, std), what "
           "transforms.Normalize(mean, std) does — by hand."),
     N_("an ant photo W pixels wide and H high becomes a (3, H, W) float32 tensor in [0, 1]; normalize with "
        "the course's 0.5s maps it to [-1, 1]."),
     (N_("np.asarray(image) is (H, W, C) uint8; ToTensor divides by 255 and puts the channels first."),
      N_("tensor.permute(2, 0, 1) turns (H, W, C) into (C, H, W)."),
      N_("mean and std hold one value per channel: reshape them to (3, 1, 1) so they line up with (C, H, W)."))),
    (7, N_("write Cifar(images, labels, transform=None), a Dataset used like torchvision's CIFAR10: item i is "
           "(transform(the PIL image), or the image itself without a transform, the class index); and "
           "make_loader(dataset), a shuffling DataLoader."),
     N_("on the embedded sample's 500 test images: len() is 500, and with ToTensor + Normalize(0.5, 0.5) the "
        "loader gives batches (64, 3, 32, 32)."),
     (N_("Image.fromarray(self.images[i]) turns one (32, 32, 3) uint8 array into a PIL image."),
      N_("Apply self.transform only when it is not None; return int(self.labels[i]) as the label."),
      N_("DataLoader(dataset, batch_size=batch_size, shuffle=True)."))),
    (8, N_("write the chapter's Model(nn.Module): conv1 = Conv2d(1, 20, 5) and conv2 = Conv2d(20, 20, 5) made in "
           "__init__, and forward = ReLU(conv2(ReLU(conv1(x))))."),
     N_("a (1, 1, 28, 28) input gives (1, 20, 20, 20); the model has 10,540 parameters."),
     (N_("The first line of __init__ is super().__init__(): it sets up what records the layers as parts of "
         "the model."),
      N_("Create the layers as attributes (self.conv1 = …) and use them in forward; F.relu applies ReLU."))),
    (9, N_("write conv_output_size, the output-size formula of a convolution, and conv2d_by_hand, a "
           "convolution of one image with one kernel written with two loops, with stride and padding."),
     N_("on the course's 5×5 input and 3×3 kernel: [[10, 12, 12], [18, 16, 16], [13, 9, 3]] with stride 1, "
        "[[10, 12], [13, 3]] with stride 2, a 5×5 result with padding 1; conv_output_size(32, 5, 1, 2) is 32."),
     (N_("The output size along one side is ⌊(size + 2·padding − kernel) / stride⌋ + 1; in Python, // rounds "
         "down."),
      N_("Pad first (F.pad(image, (p, p, p, p)) adds p zeros on every side), then loop over the output positions "
         "i and j."),
      N_("Window (i, j) is image[i·stride : i·stride + kH, j·stride : j·stride + kW]; the output value is "
         "(window * kernel).sum()."))),
    (10, N_("write max_pool_by_hand(x, kernel, ceil_mode): max pooling of a 2-D tensor with non-overlapping "
            "kernel×kernel windows, with loops."),
     N_("on the course's 5×5 input with kernel 3: [[2, 3], [5, 1]] with ceil_mode=True, [[2]] with "
        "ceil_mode=False."),
     (N_("The number of windows along a side is (size − kernel) / kernel, rounded down (or up with ceil_mode), "
         "plus 1."),
      N_("Window (i, j) is x[i·k : (i+1)·k, j·k : (j+1)·k]; a slice past the edge just stops there, which is what "
         "ceil_mode keeps."))),
    (11, N_("write relu(x), sigmoid(x) and softmax(x, dim) with tensor operations (torch.exp, clamp, sum), not "
            "torch's own functions."),
     N_("on the chapter's [[1, -0.5], [-1, 3]]: relu gives [[1, 0], [0, 3]], sigmoid(0) would be 0.5, and every "
        "row of softmax(x, 1) adds up to 1."),
     (N_("ReLU is x.clamp(min=0); sigmoid is 1 / (1 + torch.exp(-x))."),
      N_("softmax: e = exp(x), then e / e.sum(dim=dim, keepdim=True)."),
      N_("Subtract each row's largest value (x.amax(dim=dim, keepdim=True)) before exp: the result is the same and "
         "exp cannot overflow."))),
    (12, N_("write batch_norm_by_hand(x), what a new nn.BatchNorm2d computes in train mode, and flatten_images(x), "
            "what nn.Flatten() does."),
     N_("every channel of the result has mean 0 and standard deviation 1; (64, 3, 32, 32) flattens to (64, 3072)."),
     (N_("BatchNorm normalises each channel over the batch and all pixels: mean and variance over dims (0, 2, 3), "
         "keepdim=True."),
      N_("Use the variance that divides by n (unbiased=False) and add eps inside the square root."),
      N_("torch.flatten(x, start_dim=1) keeps the batch dimension; torch.flatten(x) makes one long row."))),
    (13, N_("write build_model(): the course's CIFAR-10 network as one nn.Sequential — three Conv2d(…, 5, "
            "padding=2) + MaxPool2d(2) stages, Flatten, Linear(1024, 64), Linear(64, 10)."),
     N_("a (64, 3, 32, 32) batch gives (64, 10); the model has 145,578 parameters."),
     (N_("The channels go 3 → 32 → 32 → 64; each MaxPool2d(2) halves the size: 32 → 16 → 8 → 4."),
      N_("padding=2 keeps the size with a 5×5 kernel: (32 + 2·2 − 5) / 1 + 1 = 32."),
      N_("After the last pool there are 64·4·4 = 1024 numbers per image: Flatten, then Linear(1024, 64)."))),
    (14, N_("write l1_loss, mse_loss and cross_entropy with tensor operations, the way nn.L1Loss, nn.MSELoss and "
            "nn.CrossEntropyLoss compute them (averaged)."),
     N_("on the chapter's example (predictions [1, 2, 3], targets [1, 2, 5]): L1 0.6667, MSE 1.3333; scores "
        "[0.1, 0.2, 0.3] with class 1: cross-entropy 1.1019."),
     (N_("L1: (pred − target).abs().mean(); MSE: ((pred − target) ** 2).mean()."),
      N_("Cross-entropy of one sample: −x[class] + log Σ_j exp(x[j]); scores[torch.arange(N), targets] picks "
         "x[class] of every row."),
      N_("CrossEntropyLoss takes raw scores (it applies log-softmax itself) and averages over the batch."))),
    (15, N_("write sgd_step(params, lr), one SGD update by hand, and train_one_epoch(model, loader, loss_fn, "
            "optimizer), the course's training step for every batch, returning the mean batch loss."),
     N_("sgd_step matches torch.optim.SGD exactly; after one epoch the weights equal the course's loop's."),
     (N_("Inside with torch.no_grad(): p -= lr * p.grad changes each parameter in place."),
      N_("The course's step: output = model(images), loss = loss_fn(output, labels), optimizer.zero_grad(), "
         "loss.backward(), optimizer.step()."),
      N_("Add loss.item() (a float) to the total, not the loss tensor, and divide by len(loader)."))),
    (16, N_("write adapt_vgg16(model, num_classes): replace VGG16's last layer, classifier[6], with one for "
            "num_classes outputs; and freeze_features(model): stop model.features from training."),
     N_("VGG16 for 10 classes has 134,301,514 parameters and gives (2, 10) for two images; after "
        "freeze_features only the classifier's 119,586,826 train."),
     (N_("model.classifier is an nn.Sequential; classifier[6] = nn.Linear(…) replaces its last layer."),
      N_("classifier[6] receives 4096 numbers per image: nn.Linear(4096, num_classes)."),
      N_("Freezing: p.requires_grad = False for every p in model.features.parameters()."))),
    (17, N_("write save_weights(model, path), which saves only the state_dict, and load_weights(model, path), which "
            "loads it into a fresh model of the same kind and returns it."),
     N_("torch.load(path, weights_only=True) reads the file; the fresh model gives exactly the saved model's "
        "logits."),
     (N_("torch.save(model.state_dict(), path) saves the parameters only — no pickled class."),
      N_("model.load_state_dict(torch.load(path, weights_only=True)) puts them into the model."))),
    (18, N_("write pick_device(): cuda when it can be used, else mps, else cpu; and to_device(model, images, labels, "
            "device), which moves all three and returns them."),
     N_("the right device in every situation (the check fakes CUDA and MPS), and all three on the device."),
     (N_("torch.cuda.is_available(); torch.backends.mps.is_built() and torch.backends.mps.is_available()."),
      N_("model.to(device) moves the model itself; tensor.to(device) returns a moved copy, so keep it: images = "
         "images.to(device)."))),
    (19, N_("write evaluate(model, loader), the test loop that counts the correctly classified images, and "
            "train(model, loader, epochs), a training loop with an optimiser of your choice."),
     N_("evaluate gives the reference's (correct, total); 3 epochs of train on the embedded 2,000 images bring a "
        "small CNN to at least 25% test accuracy (guessing: 10%)."),
     (N_("In evaluate: model.eval() and torch.no_grad(); predicted = model(images).argmax(dim=1)."),
      N_("correct += (predicted == labels).sum().item(); total += labels.size(0)."),
      N_("In train: SGD(model.parameters(), lr=0.01, momentum=0.9) works well; zero_grad() every step.")), 60.0),
    (20, N_("write prepare(image): any PIL image as the model's input (1, 3, 32, 32), as the course's test.py "
            "does; and predict(model, image, classes): the name of the class the model picks."),
     N_("an RGB photo, a transparent PNG and a grayscale image all give (1, 3, 32, 32); predict names the class "
        "with the highest score."),
     (N_("image.convert(\"RGB\") first: a PNG may have 4 channels, a grayscale image 1."),
      N_("transforms.Resize((32, 32)) then transforms.ToTensor(), then x.unsqueeze(0) for the batch dimension."),
      N_("classes[scores.argmax(dim=1).item()] is the name of the best class."))),
    (21, N_("write whitening_filters(patches, eps), the filters of lesson 21's whitening layer: from patches (N, D) "
            "(a 2×2 RGB patch is D = 12 numbers) take the second moment C = patches.T @ patches / N and return a "
            "(D, D) tensor whose row k is v_k / √(λ_k + eps), for the eigenvectors v_k of C sorted by their "
            "eigenvalues λ_k, largest first."),
     N_("the result W is a (D, D) tensor of the patches' dtype; W C Wᵀ, the second moment of the layer's outputs, is "
        "diagonal with λ / (λ + eps) on it, about 1 wherever λ is much larger than eps; on 480,500 patches of 500 "
        "embedded CIFAR-10 images λ runs from 9.95 down to 0.00011, and the rows equal the filters of torchstart's "
        "Whitening layer, each up to its sign (an eigenvector's sign is arbitrary)."),
     (N_("The second moment C = patches.T @ patches / N is (D, D): the mean of x xᵀ over the patches, with no mean "
         "subtracted (the patches are standardised already)."),
      N_("torch.linalg.eigh(C) is made for symmetric matrices: it returns the eigenvalues in ascending order and "
         "the eigenvectors as the columns of a matrix, eigenvectors[:, k] for eigenvalues[k]."),
      N_("Transpose so that each eigenvector is a row and divide row k by √(λ_k + eps): torch.sqrt(eigenvalues + "
         "eps)[:, None] is a column, so it lines up with the rows. Then .flip(0) puts the largest eigenvalue first."))),
)
