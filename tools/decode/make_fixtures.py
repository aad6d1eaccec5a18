"""Reference fixtures for the PyTorch weight import of neuroloop-decode.

Builds braindecode 1.8.1 ``EEGNet`` and ``ShallowFBCSPNet`` (n_chans=22,
n_times=1000, n_outputs=4, default hyper-parameters, seed 20251125), moves
every weight and batch-norm statistic away from its initial value, switches
to eval mode and writes to crates/neuroloop-decode/tests/fixtures/torch/:

* ``{eegnet,shallow}.pt`` (``torch.save`` of the state dict, zip format) and
  ``{eegnet,shallow}.safetensors`` (the same tensors);
* ``reference.safetensors``: ``inputs`` [3, 22, 1000] float32 and the
  eval-mode logits ``eegnet_logits`` / ``shallow_logits`` [3, 4];
* ``keys.json``: every state-dict key with its shape and dtype, per model;
* ``{eegnet,shallow}.txt``: the model repr;
* broken files for the error tests: ``eegnet_missing_key.safetensors``
  (no ``bnorm_1.running_var``), ``eegnet_wrong_shape.safetensors``
  (``conv_temporal.weight`` with kernel 32 instead of 64) and
  ``eegnet_extra_key.pt`` (an extra ``final_layer.extra.weight``).

Run (needs torch; CI does not, the outputs are committed):

    python3 -m venv <venv>
    <venv>/bin/pip install -r tools/decode/requirements-torch.txt
    <venv>/bin/python tools/decode/make_fixtures.py

The script is deterministic: running it again rewrites identical tensors.
"""

import json
import pathlib
import warnings

import torch
from safetensors.torch import save_file

warnings.filterwarnings("ignore")

from braindecode.models import EEGNet, ShallowFBCSPNet  # noqa: E402

SEED = 20251125
N_CHANS, N_TIMES, N_OUTPUTS = 22, 1000, 4
N_WINDOWS = 3
OUT = pathlib.Path(__file__).resolve().parents[2] / (
    "crates/neuroloop-decode/tests/fixtures/torch"
)


def perturb(model: torch.nn.Module, gen: torch.Generator) -> None:
    """Moves every parameter and batch-norm statistic away from its init.

    A few training-mode passes on random data first (so that
    ``num_batches_tracked`` and the running statistics are what training
    leaves), then explicit values, because braindecode's batch-norm momentum
    (0.01) moves the running statistics only slightly.
    """
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, N_CHANS, N_TIMES, generator=gen))
        for name, p in model.named_parameters():
            p.add_(0.1 * p.detach().abs().mean().clamp(min=0.05)
                   * torch.randn(p.shape, generator=gen))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(1.0 + 0.3 * torch.randn(n, generator=gen))
                m.bias.copy_(0.3 * torch.randn(n, generator=gen))
                m.running_mean.copy_(0.5 * torch.randn(n, generator=gen))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=gen))
    model.eval()


def spread_max_norm(model: EEGNet) -> None:
    """Scales the unconstrained spatial filters so that half of them exceed
    the max-norm (1) and are renormalised, and half stay below it."""
    original = model.conv_spatial.parametrizations.weight.original
    with torch.no_grad():
        for row in range(original.shape[0]):
            norm = original[row].norm()
            target = 2.5 if row % 2 == 0 else 0.6
            original[row].mul_(target / norm)


def save_model(name: str, model: torch.nn.Module, keys: dict) -> None:
    sd = model.state_dict()
    torch.save(sd, OUT / f"{name}.pt")
    save_file({k: v.contiguous() for k, v in sd.items()}, OUT / f"{name}.safetensors")
    keys[name] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).removeprefix("torch.")}
                  for k, v in sd.items()}
    (OUT / f"{name}.txt").write_text(repr(model) + "\n")


def keys_json(keys: dict) -> str:
    """keys.json with one line per state-dict key."""
    lines = ["{"]
    for i, (name, value) in enumerate(keys.items()):
        comma = "," if i + 1 < len(keys) else ""
        if isinstance(value, str):
            lines.append(f" {json.dumps(name)}: {json.dumps(value)}{comma}")
            continue
        lines.append(f" {json.dumps(name)}: {{")
        items = list(value.items())
        for j, (k, v) in enumerate(items):
            inner = "," if j + 1 < len(items) else ""
            lines.append(f"  {json.dumps(k)}: {json.dumps(v)}{inner}")
        lines.append(f" }}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    kw = dict(n_chans=N_CHANS, n_times=N_TIMES, n_outputs=N_OUTPUTS)
    eegnet = EEGNet(**kw)
    shallow = ShallowFBCSPNet(**kw)
    perturb(eegnet, gen)
    spread_max_norm(eegnet)
    perturb(shallow, gen)

    # Windows of unit-variance noise plus a 10 Hz rhythm (250 Hz sampling)
    # whose amplitude differs per channel and window.
    t = torch.arange(N_TIMES, dtype=torch.float32) / 250.0
    amp = torch.rand(N_WINDOWS, N_CHANS, 1, generator=gen) * 2.0
    inputs = (torch.randn(N_WINDOWS, N_CHANS, N_TIMES, generator=gen)
              + amp * torch.sin(2 * torch.pi * 10.0 * t)).contiguous()

    keys = {"torch": torch.__version__, "braindecode": __import__("braindecode").__version__}
    with torch.no_grad():
        reference = {
            "inputs": inputs,
            "eegnet_logits": eegnet(inputs).contiguous(),
            "shallow_logits": shallow(inputs).contiguous(),
        }
    save_model("eegnet", eegnet, keys)
    save_model("shallow", shallow, keys)
    save_file(reference, OUT / "reference.safetensors")
    (OUT / "keys.json").write_text(keys_json(keys))

    # Broken files for the error tests.
    sd = {k: v.contiguous() for k, v in eegnet.state_dict().items()}
    missing = dict(sd)
    del missing["bnorm_1.running_var"]
    save_file(missing, OUT / "eegnet_missing_key.safetensors")
    wrong = dict(sd)
    wrong["conv_temporal.weight"] = wrong["conv_temporal.weight"][..., :32].contiguous()
    save_file(wrong, OUT / "eegnet_wrong_shape.safetensors")
    extra = dict(eegnet.state_dict())
    extra["final_layer.extra.weight"] = torch.zeros(4, 4)
    torch.save(extra, OUT / "eegnet_extra_key.pt")

    for k, v in reference.items():
        print(k, tuple(v.shape))
    print("eegnet logits", reference["eegnet_logits"])
    print("shallow logits", reference["shallow_logits"])
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{total} bytes in {OUT}")


if __name__ == "__main__":
    main()
