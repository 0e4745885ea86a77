/**
 * The plan as a complete `torchrun` training script (DDP or FSDP): process group from the torchrun
 * environment, the plan applied and checked identically on every rank, frozen BatchNorm kept in eval
 * mode, the model wrapped after freezing, an optimizer over the trainable parameters only with the
 * plan's LR groups, and a DistributedSampler. The user fills three marked functions.
 */
import { header, planData, py, TORCH_FROZEN_BN } from './export-python';
import { planFingerprint } from './plan-fingerprint';
import type { ExportLauncher, Plan } from './types';

/** Marks the places the user must fill in; tests and docs search for it. */
export const USER_CODE_MARK = '# >>> YOUR CODE';

function usage(launcher: ExportLauncher): string[] {
  return [
    `# Launcher: ${launcher === 'ddp' ? 'DistributedDataParallel' : 'FullyShardedDataParallel'}. Run it on N processes with`,
    '#     torchrun --nproc_per_node=N train.py',
    '# (one process per GPU with NCCL; without CUDA, N CPU processes with gloo), or as one process with',
    '#     python train.py',
    `# Fill in the places marked "${USER_CODE_MARK}": build_model(), build_dataset() and compute_loss().`,
  ];
}

function imports(launcher: ExportLauncher): string[] {
  const wrap =
    launcher === 'ddp'
      ? ['from torch.nn.parallel import DistributedDataParallel as DDP']
      : [
          'from torch.distributed.fsdp import FullyShardedDataParallel as FSDP',
          'from torch.distributed.fsdp.wrap import size_based_auto_wrap_policy',
        ];
  return [
    'import datetime',
    ...(launcher === 'fsdp' ? ['import functools'] : []),
    'import hashlib',
    'import os',
    'import sys',
    '',
    'import torch',
    'import torch.distributed as dist',
    ...wrap,
    'from torch.utils.data import DataLoader, DistributedSampler',
  ];
}

function settings(plan: Plan, lr: number): string[] {
  return [
    `PLAN_FINGERPRINT = ${py(planFingerprint(plan))}`,
    ...planData(plan, lr),
    '',
    'EPOCHS = 1',
    'BATCH_SIZE = 32  # per process',
    'NUM_WORKERS = 2',
    'DIST_TIMEOUT_S = 600  # a rank that waits longer than this in a collective fails instead of hanging',
    'SAVE_TO = None  # e.g. "finetuned.pt": rank 0 writes the trained state_dict there (never over a file)',
  ];
}

const USER_CODE: readonly string[] = [
  `${USER_CODE_MARK} (1/3): the model, built the same way on every rank (same pretrained weights).`,
  '# Its named_parameters() must be the names the plan was made from.',
  'def build_model():',
  '    raise NotImplementedError("frostline: build and return your torch.nn.Module in build_model()")',
  '',
  '',
  `${USER_CODE_MARK} (2/3): the whole training set as a torch Dataset, on every rank; the`,
  '# DistributedSampler gives each rank its share.',
  'def build_dataset():',
  '    raise NotImplementedError("frostline: build and return your torch.utils.data.Dataset in build_dataset()")',
  '',
  '',
  `${USER_CODE_MARK} (3/3): the loss of one batch (here: classification with (inputs, targets) batches).`,
  'def compute_loss(model, batch, device):',
  '    inputs, targets = batch',
  '    return torch.nn.functional.cross_entropy(model(inputs.to(device)), targets.to(device))',
];

const SETUP: readonly string[] = [
  'class PlanMismatch(RuntimeError):',
  '    """The ranks do not run the same plan (or one could not apply it): every rank stops."""',
  '',
  '',
  'def init_distributed():',
  '    """The process group from the torchrun environment: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,',
  '    MASTER_PORT. NCCL with one GPU per process when CUDA is available, else gloo on CPU."""',
  '    if "RANK" not in os.environ:  # plain `python train.py`: a world of one process',
  '        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")',
  '        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")',
  '        os.environ.setdefault("MASTER_PORT", "29500")',
  '    local_rank = int(os.environ.get("LOCAL_RANK", "0"))',
  '    if torch.cuda.is_available():',
  '        torch.cuda.set_device(local_rank)',
  '        device, backend = torch.device("cuda", local_rank), "nccl"',
  '    else:',
  '        device, backend = torch.device("cpu"), "gloo"',
  '    timeout = datetime.timedelta(seconds=DIST_TIMEOUT_S)',
  '    dist.init_process_group(backend=backend, init_method="env://", timeout=timeout)',
  '    return device',
  '',
  '',
  ...TORCH_FROZEN_BN,
  '',
  '',
  'def apply_plan(model):',
  '    """Freeze exactly the plan\'s FROZEN parameters; returns the frozen BatchNorm modules."""',
  '    params = dict(model.named_parameters())',
  '    planned = FROZEN | {n for _, names in LR_GROUPS for n in names}',
  '    missing = sorted(planned - set(params))',
  '    if missing:',
  '        raise KeyError(f"not parameters of this model: {missing[:5]} ({len(missing)} in all)")',
  '    unplanned = sorted(set(params) - planned)',
  '    if unplanned:',
  '        raise KeyError(f"parameters the plan does not know: {unplanned[:5]} ({len(unplanned)} in all)")',
  '    for name, p in params.items():',
  '        p.requires_grad_(name not in FROZEN)',
  '    return frostline_frozen_batchnorm(model)',
  '',
  '',
  'def train_mode(model, frozen_bn):',
  '    """model.train() switches every module to training mode: frozen BatchNorm goes back to eval so its',
  '    running statistics stay fixed. Call this instead of model.train(), every time."""',
  '    model.train()',
  '    for bn in frozen_bn:',
  '        bn.eval()',
  '',
  '',
  'def rank_report(model, error):',
  '    """What this rank applied: plan fingerprint, hash and count of its trainable names, or its error."""',
  '    if error is not None:',
  '        return {"plan": PLAN_FINGERPRINT, "error": error}',
  '    names = sorted(n for n, p in model.named_parameters() if p.requires_grad)',
  '    digest = hashlib.sha256("\\n".join(names).encode("utf-8")).hexdigest()[:16]',
  '    return {"plan": PLAN_FINGERPRINT, "trainable": digest, "count": len(names)}',
  '',
  '',
  'def check_same_plan_on_all_ranks(report):',
  '    """Every rank gathers every rank\'s report before training, so all ranks reach the same verdict and',
  '    stop together on a mismatch: no rank is left waiting in a collective the others never enter."""',
  '    reports = [None] * dist.get_world_size()',
  '    dist.all_gather_object(reports, report)',
  '    failed = [f"rank {r}: {x[\'error\']}" for r, x in enumerate(reports) if "error" in x]',
  '    if failed:',
  '        raise PlanMismatch("a rank failed before training: " + "; ".join(failed))',
  '    if any((x["plan"], x["trainable"]) != (report["plan"], report["trainable"]) for x in reports):',
  '        seen = "; ".join(',
  "            f\"rank {r}: plan {x['plan']}, {x['count']} trainable (names hash {x['trainable']})\"",
  '            for r, x in enumerate(reports)',
  '        )',
  '        raise PlanMismatch(',
  '            f"plan mismatch across ranks ({seen}); every rank must run the same exported script on the same model"',
  '        )',
];

function wrapModel(launcher: ExportLauncher): string[] {
  if (launcher === 'ddp') {
    return [
      'def wrap_model(model, device):',
      '    """DDP after freezing: it registers gradient hooks only for parameters that require grad when it is',
      '    built, and broadcasts rank 0\'s parameters and buffers to every rank."""',
      '    model.to(device)',
      '    return DDP(model, device_ids=[device.index] if device.type == "cuda" else None)',
    ];
  }
  return [
    'FSDP_MIN_PARAMS = 1_000_000  # auto-wrap: a submodule with at least this many parameters is its own unit',
    '',
    '',
    'def wrap_model(model, device):',
    '    """FSDP after freezing, with use_orig_params=True: a unit then may hold frozen and trainable',
    '    parameters together, and named_parameters() keeps the original names and requires_grad flags."""',
    '    policy = functools.partial(size_based_auto_wrap_policy, min_num_params=FSDP_MIN_PARAMS)',
    '    on_gpu = device.type == "cuda"',
    '    return FSDP(',
    '        model,',
    '        auto_wrap_policy=policy,',
    '        use_orig_params=True,',
    '        device_id=device.index if on_gpu else None,',
    "        sync_module_states=on_gpu,  # every rank starts from rank 0's weights",
    '    )',
  ];
}

function optimizerAndLoop(optimizer: string): string[] {
  return [
    'WRAPPER_SEGMENTS = {"_fsdp_wrapped_module", "_checkpoint_wrapped_module", "_orig_mod"}',
    '',
    '',
    'def build_optimizer(wrapped):',
    '    """Only trainable parameters, one group per LR factor of the plan. Names are read from the wrapped',
    '    model (after wrapping, as FSDP requires) without the wrappers\' own name segments."""',
    '    inner = wrapped.module if isinstance(wrapped, torch.nn.parallel.DistributedDataParallel) else wrapped',
    '    params = {',
    '        ".".join(s for s in n.split(".") if s not in WRAPPER_SEGMENTS): p for n, p in inner.named_parameters()',
    '    }',
    '    groups = [{"params": [params[n] for n in names], "lr": LR * factor} for factor, names in LR_GROUPS]',
    '    in_groups = {id(p) for g in groups for p in g["params"]}',
    '    stray = [n for n, p in params.items() if p.requires_grad and id(p) not in in_groups]',
    '    if stray or any(not p.requires_grad for g in groups for p in g["params"]):',
    '        raise PlanMismatch(f"optimizer groups and trainable parameters differ: {stray[:5]}")',
    `    return torch.optim.${optimizer}(groups, lr=LR)`,
    '',
    '',
    'def check_save_to(rank):',
    '    """Before any training: rank 0 refuses a SAVE_TO that exists (a file is never overwritten)."""',
    '    if rank == 0 and SAVE_TO is not None and os.path.exists(SAVE_TO):',
    '        raise FileExistsError(f"{SAVE_TO} exists; choose a new SAVE_TO")',
    '',
    '',
    'def save_model(wrapped, rank):',
    '    """Rank 0 writes the trained state_dict to SAVE_TO atomically (temp file, then rename), never over a file."""',
    '    if SAVE_TO is None:',
    '        return',
    '    state = full_state_dict(wrapped)  # a collective under FSDP: every rank takes part',
    '    if rank != 0:',
    '        return',
    '    check_save_to(rank)  # again: something may have written it during training',
    '    tmp = f"{SAVE_TO}.tmp-{os.getpid()}"',
    '    torch.save(state, tmp)',
    '    os.replace(tmp, SAVE_TO)',
    '    print(f"frostline: saved {SAVE_TO}")',
    '',
    '',
    'def train(wrapped, frozen_bn, optimizer, device, rank, world):',
    '    dataset = build_dataset()',
    '    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True)',
    '    loader = DataLoader(dataset, batch_size=BATCH_SIZE, sampler=sampler, num_workers=NUM_WORKERS, drop_last=True)',
    '    for epoch in range(EPOCHS):',
    '        sampler.set_epoch(epoch)  # a different shuffle each epoch, the same on every rank',
    '        train_mode(wrapped, frozen_bn)',
    '        total, steps = 0.0, 0',
    '        for batch in loader:',
    '            optimizer.zero_grad(set_to_none=True)',
    '            loss = compute_loss(wrapped, batch, device)',
    '            loss.backward()',
    '            optimizer.step()',
    '            total, steps = total + loss.item(), steps + 1',
    '        if rank == 0:',
    '            print(f"frostline: epoch {epoch + 1}/{EPOCHS}: mean loss {total / max(steps, 1):.4f} over {steps} steps")',
  ];
}

function stateDict(launcher: ExportLauncher): string[] {
  if (launcher === 'ddp') {
    return ['def full_state_dict(wrapped):', '    return wrapped.module.state_dict()'];
  }
  return [
    'def full_state_dict(wrapped):',
    '    """Gathers the full (unsharded) state_dict on rank 0; every rank must call it."""',
    '    from torch.distributed.fsdp import FullStateDictConfig, StateDictType',
    '',
    '    config = FullStateDictConfig(offload_to_cpu=True, rank0_only=True)',
    '    with FSDP.state_dict_type(wrapped, StateDictType.FULL_STATE_DICT, config):',
    '        return wrapped.state_dict()',
  ];
}

const MAIN: readonly string[] = [
  'def run(device):',
  '    """Build, freeze, check, wrap, train; returns (wrapped model, optimizer, frozen BatchNorm modules)."""',
  '    rank, world = dist.get_rank(), dist.get_world_size()',
  '    print(f"frostline: rank {rank}/{world} runs plan {PLAN_FINGERPRINT} on {device} ({dist.get_backend()})")',
  '    model, frozen_bn, error = None, [], None',
  '    try:',
  '        model = build_model()',
  '        frozen_bn = apply_plan(model)',
  '        check_save_to(rank)',
  '    except Exception as e:  # reported to every rank by the check below, so no rank waits alone',
  '        error = f"{type(e).__name__}: {e}"',
  '    check_same_plan_on_all_ranks(rank_report(model, error))',
  '    wrapped = wrap_model(model, device)',
  '    optimizer = build_optimizer(wrapped)',
  '    train(wrapped, frozen_bn, optimizer, device, rank, world)',
  '    save_model(wrapped, rank)',
  '    return wrapped, optimizer, frozen_bn',
  '',
  '',
  'def main():',
  '    device = init_distributed()',
  '    try:',
  '        run(device)',
  '    except PlanMismatch as e:',
  '        sys.exit(f"frostline: rank {dist.get_rank()}: {e}")',
  '    finally:',
  '        dist.destroy_process_group()',
  '',
  '',
  'if __name__ == "__main__":',
  '    main()',
];

/** The whole script; `optimizer` is a `torch.optim` class name, `lr` the base learning rate. */
export function pytorchLauncherScript(
  plan: Plan,
  launcher: ExportLauncher,
  optimizer: string,
  lr: number,
): string {
  const blank = ['', ''];
  const lines = [
    '#!/usr/bin/env python3',
    ...header(plan, `PyTorch (${launcher.toUpperCase()}, torchrun)`),
    ...usage(launcher),
    ...imports(launcher),
    '',
    ...settings(plan, lr),
    ...blank,
    ...USER_CODE,
    ...blank,
    ...SETUP,
    ...blank,
    ...wrapModel(launcher),
    ...blank,
    ...stateDict(launcher),
    ...blank,
    ...optimizerAndLoop(optimizer),
    ...blank,
    ...MAIN,
  ];
  return `${lines.join('\n')}\n`;
}
