"""Data-parallel training with torch.distributed, for processes started by `torchrun`.

`torchrun --nproc-per-node=N -m torchstart train …` starts N copies of the same command and tells
each one its place through environment variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT). Each process (a *rank*) then:

1. joins the process group (NCCL between GPUs, Gloo between CPU processes),
2. builds the same model from the same seed and wraps it in DistributedDataParallel, which
   averages the gradients of all ranks during `backward()` so every rank takes the same step,
3. trains on its shard of each epoch's permutation: with global batch B and N ranks, every rank
   takes B / N images per step, and step k of all ranks together is step k of a single process
   with batch B (see `TensorLoader`),
4. evaluates the full test set itself (the weights are identical on every rank, so the numbers are
   too; no extra communication), while rank 0 alone writes logs, plots and checkpoints.

Everything here is a no-op without torchrun, so `torchstart train` runs as one plain process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import nn

from ..errors import ConfigError, DeviceError
from ..i18n import _

T = TypeVar("T")
BACKENDS = {"cuda": "nccl", "cpu": "gloo"}  # device type → process-group backend


@dataclass(frozen=True)
class Ranks:
    """This process's place in the job: `rank` of `world_size`, `local_rank` on its machine."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the one process that writes files and prints."""
        return self.rank == 0


SINGLE = Ranks()


def ranks_from_env(env: Mapping[str, str] = os.environ) -> Ranks:
    """The RANK / WORLD_SIZE / LOCAL_RANK torchrun sets; one process (rank 0 of 1) without them."""
    if "RANK" not in env or "WORLD_SIZE" not in env:
        return SINGLE
    return Ranks(int(env["RANK"]), int(env["WORLD_SIZE"]), int(env.get("LOCAL_RANK", "0")))


def per_rank_batch(global_batch: int, world_size: int) -> int:
    """Images per step on each rank; `--batch-size` is the global batch, summed over all ranks."""
    if global_batch % world_size:
        nearest = world_size * max(2, global_batch // world_size)  # two images each: every model trains on them
        raise ConfigError(_("--batch-size {batch} cannot be split evenly over {processes} processes").format(
            batch=global_batch, processes=world_size),
            _("use a multiple of {processes}, e.g. --batch-size {nearest}").format(
                processes=world_size, nearest=nearest))
    return global_batch // world_size


def start(ranks: Ranks, device: torch.device) -> torch.device:
    """Join the process group (when there is more than one process); return this rank's device."""
    if ranks.world_size == 1:
        return device
    if device.type not in BACKENDS:
        raise DeviceError(_("torchrun training runs on cuda or cpu, not {device}").format(device=device.type),
                          _("pass --device cuda or --device cpu"))
    if device.type == "cuda":  # one GPU per process: LOCAL_RANK picks it
        device = torch.device("cuda", ranks.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(BACKENDS[device.type], rank=ranks.rank, world_size=ranks.world_size,
                                store=attempt_store(ranks))
    return device


def attempt_store(ranks: Ranks, env: Mapping[str, str] = os.environ) -> dist.Store | None:
    """Under torchrun's shared store, a key space of this restart attempt's own; None: let torch make one.

    torchrun's c10d rendezvous serves one TCPStore for the whole job and restarted workers use it again.
    The failed attempt's process-group keys are still in it, so a restarted worker would read a dead
    worker's address and fail to connect (pytorch/pytorch#135712). Each attempt gets its own prefix.
    """
    if env.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        return None
    store = dist.TCPStore(env["MASTER_ADDR"], int(env["MASTER_PORT"]), ranks.world_size, is_master=False,
                          timeout=timedelta(minutes=10))
    return dist.PrefixStore(f"torchstart/attempt-{env.get('TORCHELASTIC_RESTART_COUNT', '0')}/", store)


def peer_lost(err: BaseException, ranks: Ranks) -> bool:
    """The error another process of the job stopping causes in this one (its connection closed mid-step)."""
    text = str(err)
    return ranks.world_size > 1 and isinstance(err, RuntimeError) and (
        isinstance(err, getattr(dist, "DistError", ())) or "by peer" in text or "Connection closed" in text)


def wrap(model: nn.Module, ranks: Ranks, device: torch.device) -> nn.Module:
    """The model in DistributedDataParallel when training with several processes; unchanged otherwise."""
    if ranks.world_size == 1:
        return model
    return nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def share(value: T, ranks: Ranks) -> T:
    """Rank 0's `value` on every rank (e.g. the run directory named after rank 0's clock)."""
    if ranks.world_size == 1:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def stop() -> None:
    """Leave the process group (a no-op for a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
