"""Reference fixture for neuroloop's patch transformer against PyTorch.

Builds the patch transformer from PyTorch's own parts: ``nn.Linear`` patch
embedding, channel and time embeddings, a CLS token, ``nn.TransformerEncoder``
of pre-norm ``nn.TransformerEncoderLayer`` (GELU, ``batch_first``,
``norm_first``, eps 1e-5) and a final ``nn.LayerNorm`` + ``nn.Linear`` head on
the CLS output. Configuration: 22 channels x 1000 samples, 4 outputs, the
defaults of ``TransformerConfig`` (patch_len 25, d_model 32, 4 heads, 2
layers, d_ff 64), seed 20251204. Every weight is drawn at random (layer-norm
gains and offsets too, so that a swapped norm shows), the model is switched
to eval mode, and the script writes to
crates/neuroloop-decode/tests/fixtures/torch/:

* ``transformer.safetensors``: the weights under the burn module's paths,
  in PyTorch's layout (``[out, in]`` linear weights, layer norms as
  ``weight``/``bias``). PyTorch's fused ``in_proj_weight`` / ``in_proj_bias``
  is split into ``mha.query``, ``mha.key`` and ``mha.value``; ``out_proj`` is
  ``mha.output``; ``linear1`` / ``linear2`` are ``pwff.linear_inner`` /
  ``pwff.linear_outer``; ``norm1`` (before attention) is burn's ``norm_2`` and
  ``norm2`` (before the MLP) is ``norm_1``.
* ``transformer_reference.safetensors``: ``inputs`` [3, 22, 1000] float32 and
  PyTorch's eval-mode ``logits`` [3, 4].
* ``transformer.txt``: the PyTorch model's repr and the torch version.

Run (needs torch; CI does not, the outputs are committed):

    python3 -m venv <venv>
    <venv>/bin/pip install -r tools/decode/requirements-torch.txt
    <venv>/bin/python tools/decode/make_transformer_fixture.py

Deterministic on one machine: running it again rewrites identical tensors.
"""

import pathlib

import torch
from safetensors.torch import save_file
from torch import nn

SEED = 20251204
N_CHANS, N_TIMES, N_OUTPUTS = 22, 1000, 4
PATCH_LEN, D_MODEL, N_HEADS, N_LAYERS, D_FF = 25, 32, 4, 2, 64
N_WINDOWS = 3
OUT = pathlib.Path(__file__).resolve().parents[2] / (
    "crates/neuroloop-decode/tests/fixtures/torch"
)


class PatchTransformer(nn.Module):
    """The patch transformer of neuroloop-decode, in PyTorch's parts."""

    def __init__(self):
        super().__init__()
        n_patches = N_TIMES // PATCH_LEN
        self.patch_embed = nn.Linear(PATCH_LEN, D_MODEL)
        self.channel_embed = nn.Parameter(torch.zeros(N_CHANS, D_MODEL))
        self.time_embed = nn.Parameter(torch.zeros(n_patches, D_MODEL))
        self.cls = nn.Parameter(torch.zeros(D_MODEL))
        layer = nn.TransformerEncoderLayer(
            D_MODEL, N_HEADS, D_FF, dropout=0.1, activation="gelu",
            layer_norm_eps=1e-5, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, N_LAYERS, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(D_MODEL, eps=1e-5)
        self.head = nn.Linear(D_MODEL, N_OUTPUTS)

    def forward(self, x):
        batch, chans, times = x.shape
        patches = times // PATCH_LEN
        tokens = (self.patch_embed(x.reshape(batch, chans, patches, PATCH_LEN))
                  + self.channel_embed[None, :, None, :]
                  + self.time_embed[None, None, :, :])
        tokens = tokens.reshape(batch, chans * patches, D_MODEL)
        x = torch.cat([self.cls.expand(batch, 1, D_MODEL), tokens], 1)
        x = self.encoder(x)
        return self.head(self.norm(x[:, 0]))


def randomise(model: nn.Module, gen: torch.Generator) -> None:
    """Every parameter drawn at random: weights at about their init scale,
    norm gains around 1, biases and offsets around 0.1."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=gen))
            elif name.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


def burn_state(model: PatchTransformer) -> dict:
    """The weights under the burn module's paths (PyTorch layout)."""
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    out = {}
    for name in ["patch_embed.weight", "patch_embed.bias", "channel_embed", "time_embed",
                 "cls", "norm.weight", "norm.bias", "head.weight", "head.bias"]:
        out[name] = sd.pop(name)
    for i in range(N_LAYERS):
        torch_layer, burn_layer = f"encoder.layers.{i}.", f"encoder.layers.{i}."
        w = sd.pop(torch_layer + "self_attn.in_proj_weight")
        b = sd.pop(torch_layer + "self_attn.in_proj_bias")
        for j, part in enumerate(["query", "key", "value"]):
            out[f"{burn_layer}mha.{part}.weight"] = w[j * D_MODEL:(j + 1) * D_MODEL]
            out[f"{burn_layer}mha.{part}.bias"] = b[j * D_MODEL:(j + 1) * D_MODEL]
        renames = {
            "self_attn.out_proj": "mha.output",
            "linear1": "pwff.linear_inner",
            "linear2": "pwff.linear_outer",
            "norm1": "norm_2",
            "norm2": "norm_1",
        }
        for torch_name, burn_name in renames.items():
            for param in ["weight", "bias"]:
                out[f"{burn_layer}{burn_name}.{param}"] = sd.pop(
                    f"{torch_layer}{torch_name}.{param}")
    assert not sd, f"state-dict keys left unmapped: {sorted(sd)}"
    return {k: v.contiguous() for k, v in out.items()}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = PatchTransformer()
    randomise(model, gen)
    model.eval()

    # Unit-variance noise plus a 10 Hz rhythm whose amplitude differs per
    # channel and window (250 Hz sampling), as the other net fixtures.
    t = torch.arange(N_TIMES, dtype=torch.float32) / 250.0
    amp = torch.rand(N_WINDOWS, N_CHANS, 1, generator=gen) * 2.0
    inputs = (torch.randn(N_WINDOWS, N_CHANS, N_TIMES, generator=gen)
              + amp * torch.sin(2 * torch.pi * 10.0 * t)).contiguous()
    with torch.no_grad():
        logits = model(inputs).contiguous()

    save_file(burn_state(model), OUT / "transformer.safetensors")
    save_file({"inputs": inputs, "logits": logits}, OUT / "transformer_reference.safetensors")
    (OUT / "transformer.txt").write_text(f"torch {torch.__version__}\n{model!r}\n")
    print(f"logits {logits.tolist()}")


if __name__ == "__main__":
    main()
