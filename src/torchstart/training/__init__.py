"""Training: the one loop and everything a run needs around it.

    engine.py       train_one_epoch, evaluate, fit — the one training loop
    optim.py        optimisers and learning-rate schedules from an OptimConfig
    build.py        what a TrainConfig builds: normalisation, loaders, the training state
    checkpoint.py   the checkpoint schema; atomic save, safe load
    resume.py       continuing a stopped run from its last.pt
    transfer.py     starting weights (ImageNet, a state_dict, another run) and what trains
    distributed.py  torchrun: ranks, process groups, DDP
    tracking.py     TensorBoard and the two plots of a run
    rundir.py       the run directory and its metrics.json
    job.py          the `torchstart train` job that ties them together

Nothing is imported here, so `import torchstart.training.engine` loads only what the engine needs.
"""
