"""argmap's trained pair model: does text A make the same point as B, and does A agree with B?

A cross-encoder over the bundled all-MiniLM-L6-v2 (``argmap.embed.bundled_model_dir()``):
the pair is read as one sequence ``[CLS] a [SEP] b [SEP]`` (for stance, optionally
``[CLS] topic [SEP] a [SEP] b [SEP]``), mean-pooled, and fed to two linear heads:

* match: P(a and b make the same point). Its logit also gets a learned multiple of the
  plain cosine of the two texts' MiniLM sentence vectors (computed by the same network with
  the adapters switched off, which is exactly the bundled sentence-transformers model).
* stance: +1 = a agrees with / supports b, -1 = disagrees / undermines (2*sigmoid - 1).

Only small LoRA adapters (all attention and feed-forward linears), the LayerNorm
parameters and the heads are trained; they ship in ``argmap/resources/pairmodel/`` as
``adapter.safetensors`` (a few MB) plus ``config.json`` (architecture and training
metadata). The base weights are never copied. ``scripts/train_pairmodel.py`` trains it.

torch and transformers are imported only when a model is loaded.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelError

FORMAT = "argmap-pairmodel"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "adapter.safetensors"
LORA_TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value",
                "attention.output.dense", "intermediate.dense", "output.dense")


def default_path() -> Path:
    return Path(__file__).parent / "resources" / "pairmodel"


def build_network(base_dir: str | Path, r: int = 16, alpha: float = 32.0, dropout: float = 0.0):
    """The torch network: bundled MiniLM + LoRA adapters + heads (adapters initialised to 0)."""
    import torch
    from torch import nn
    from transformers import AutoModel

    class LoRALinear(nn.Module):
        def __init__(self, base: nn.Linear):
            super().__init__()
            self.base = base
            self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
            self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.scale = alpha / r
            self.enabled = True
            self.drop = nn.Dropout(dropout) if dropout else nn.Identity()

        def forward(self, x):
            out = self.base(x)
            if self.enabled:
                out = out + (self.drop(x) @ self.lora_A.T @ self.lora_B.T) * self.scale
            return out

    class PairNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(base_dir))
            self.loras = []
            for name, module in list(self.bert.named_modules()):
                for child_name, child in list(module.named_children()):
                    full = f"{name}.{child_name}" if name else child_name
                    if isinstance(child, nn.Linear) and any(full.endswith(t) for t in LORA_TARGETS) \
                            and ".layer." in f".{full}":
                        wrapped = LoRALinear(child)
                        setattr(module, child_name, wrapped)
                        self.loras.append(wrapped)
            hidden = self.bert.config.hidden_size
            self.match_head = nn.Linear(hidden, 1)
            self.stance_head = nn.Linear(hidden, 1)
            self.cos_weight = nn.Parameter(torch.tensor(8.0))
            self.cos_bias = nn.Parameter(torch.tensor(-4.0))
            for p in self.bert.parameters():
                p.requires_grad = False
            for n, p in self.named_parameters():
                if self.is_trainable(n):
                    p.requires_grad = True

        @staticmethod
        def is_trainable(name: str) -> bool:
            return ("lora_" in name or "LayerNorm" in name or name.startswith(("match_head", "stance_head"))
                    or name in ("cos_weight", "cos_bias"))

        def set_adapters(self, on: bool):
            for m in self.loras:
                m.enabled = on

        def pooled(self, enc):
            out = self.bert(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
            return (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

        def forward(self, enc):
            h = self.pooled(enc)
            return self.match_head(h).squeeze(-1), self.stance_head(h).squeeze(-1)

        def match_logit(self, ce_logit, cos):
            return ce_logit + self.cos_weight * cos + self.cos_bias

        def trainable_state(self):
            return {n: p.detach().contiguous().clone() for n, p in self.named_parameters() if self.is_trainable(n)}

    return PairNet()


def _batches(n_items: int, lengths: Sequence[int], batch_size: int):
    order = sorted(range(n_items), key=lambda i: lengths[i])
    for s in range(0, n_items, batch_size):
        yield order[s:s + batch_size]


class PairModel:
    """Loaded pair model. Deterministic (eval mode, no dropout). See module docstring."""

    def __init__(self, net, tokenizer, config: dict, path: Path, base_layernorm: dict | None = None):
        self.net = net
        # the bundled model's own LayerNorm values: the cosine term uses the untouched base
        # network (adapters off AND base LayerNorms), i.e. exactly argmap's default embedder
        self._base_ln = base_layernorm
        self.tokenizer = tokenizer
        self.config = config
        self.path = path
        self.name = config.get("name", "argmap-pairmodel")
        self.max_length = int(config.get("max_length", 96))
        self.batch_size = 64

    @classmethod
    def load(cls, path: str | None = None) -> "PairModel":
        p = Path(path) if path else default_path()
        cfg_path, w_path = p / CONFIG_FILE, p / WEIGHTS_FILE
        for f in (cfg_path, w_path):
            if not f.is_file():
                raise ModelError(f"{f}: pair model file is missing (run scripts/train_pairmodel.py or reinstall argmap)")
        try:
            config = json.loads(cfg_path.read_text(encoding="utf-8"))
            if not isinstance(config, dict):
                raise ValueError("not a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            raise ModelError(f"{cfg_path}: corrupt pair model config ({e})".splitlines()[0]) from e
        if config.get("format") != FORMAT or config.get("format_version") != FORMAT_VERSION:
            raise ModelError(f"{cfg_path}: not an {FORMAT} v{FORMAT_VERSION} config")
        try:
            from safetensors.torch import load_file

            state = load_file(str(w_path))
        except Exception as e:  # noqa: BLE001 - any read failure is one message
            raise ModelError(f"{w_path}: corrupt pair model weights ({e})".splitlines()[0]) from e
        from .embed import bundled_model_dir

        base = bundled_model_dir()
        try:
            import os

            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from transformers import AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            lora = config.get("lora", {})
            net = build_network(base, r=int(lora.get("r", 16)), alpha=float(lora.get("alpha", 32)))
            tokenizer = AutoTokenizer.from_pretrained(str(base))
        except ModelError:
            raise
        except Exception as e:  # noqa: BLE001
            raise ModelError(f"cannot build the pair model on {base}: {e}".splitlines()[0]) from e
        own = dict(net.named_parameters())
        base_ln = {n: p.detach().clone() for n, p in own.items() if "LayerNorm" in n}
        expected = {n for n in own if net.is_trainable(n)}
        missing = sorted(expected - set(state))
        unknown = sorted(set(state) - expected)
        if missing or unknown:
            raise ModelError(
                f"{w_path}: weights do not fit the model "
                f"({len(missing)} missing, {len(unknown)} unexpected, e.g. {(missing + unknown)[0]})"
            )
        with torch.no_grad():
            for n, t in state.items():
                if tuple(t.shape) != tuple(own[n].shape):
                    raise ModelError(f"{w_path}: tensor {n} has shape {tuple(t.shape)}, expected {tuple(own[n].shape)}")
                own[n].copy_(t)
        net.eval()
        return cls(net, tokenizer, config, p, base_layernorm=base_ln)

    def _swap_layernorm(self):
        """Exchange the current LayerNorm values with the stored ones (base <-> trained)."""
        if not self._base_ln:
            return
        import torch

        own = dict(self.net.named_parameters())
        with torch.no_grad():
            for n, t in self._base_ln.items():
                cur = own[n].detach().clone()
                own[n].copy_(t)
                self._base_ln[n] = cur

    # ------------------------------------------------------------ internals

    def _check(self, a, b, topic=None):
        if len(a) != len(b) or (topic is not None and len(topic) != len(a)):
            raise ValueError("a, b (and topic) must have the same length")

    def _pair_logits(self, a, b, topic=None, progress=False, what="pairs"):
        import torch

        firsts = [f"{t} [SEP] {x}" if t else x for x, t in zip(a, topic)] if topic else list(a)
        lengths = [len(x) + len(y) for x, y in zip(firsts, b)]
        m = np.zeros(len(a), dtype=np.float32)
        s = np.zeros(len(a), dtype=np.float32)
        done = 0
        with torch.inference_mode():
            self.net.set_adapters(True)
            for idx in _batches(len(a), lengths, self.batch_size):
                enc = self.tokenizer([firsts[i] for i in idx], [b[i] for i in idx], truncation="longest_first",
                                     max_length=self.max_length, padding=True, return_tensors="pt")
                ml, sl = self.net(dict(enc))
                m[idx] = ml.float().numpy()
                s[idx] = sl.float().numpy()
                done += len(idx)
                if progress:
                    print(f"\r  pair model: {done}/{len(a)} {what}", end="", file=sys.stderr, flush=True)
        if progress and len(a):
            print(file=sys.stderr)
        return m, s

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """MiniLM sentence vectors (adapters off, base LayerNorms): argmap's default embedder."""
        import torch

        texts = list(texts)
        out = np.zeros((len(texts), self.net.bert.config.hidden_size), dtype=np.float32)
        self._swap_layernorm()
        with torch.inference_mode():
            self.net.set_adapters(False)
            try:
                for idx in _batches(len(texts), [len(t) for t in texts], self.batch_size):
                    enc = self.tokenizer([texts[i] for i in idx], truncation=True, max_length=256,
                                         padding=True, return_tensors="pt")
                    v = torch.nn.functional.normalize(self.net.pooled(dict(enc)), dim=-1)
                    out[idx] = v.numpy()
            finally:
                self.net.set_adapters(True)
                self._swap_layernorm()
        return out

    def _cosines(self, a, b) -> np.ndarray:
        uniq = sorted(set(a) | set(b))
        pos = {t: i for i, t in enumerate(uniq)}
        vec = self.embed(uniq)
        return np.einsum("ij,ij->i", vec[[pos[t] for t in a]], vec[[pos[t] for t in b]]).astype(np.float32)

    # ------------------------------------------------------------ API

    def match(self, a: list[str], b: list[str], progress: bool = False) -> np.ndarray:
        """(n,) P(a and b make the same point), in [0, 1]."""
        a, b = list(a), list(b)
        self._check(a, b)
        if not a:
            return np.zeros(0, dtype=np.float32)
        import torch

        ml, _ = self._pair_logits(a, b, progress=progress, what="match pairs")
        cos = self._cosines(a, b)
        with torch.no_grad():
            # match_ce_scale (config, chosen on dev): weight of the cross-encoder part
            # against the learned cosine term; 1.0 = the network as trained
            scale = float(self.config.get("match_ce_scale", 1.0))
            logit = self.net.match_logit(torch.from_numpy(ml) * scale, torch.from_numpy(cos))
        return torch.sigmoid(logit).numpy().astype(np.float32)

    def stance(self, a: list[str], b: list[str], progress: bool = False,
               topic: list[str] | None = None) -> np.ndarray:
        """(n,) in [-1, 1]: +1 = a agrees with / supports b, -1 = disagrees / undermines."""
        a, b = list(a), list(b)
        topic = list(topic) if topic is not None else None
        self._check(a, b, topic)
        if not a:
            return np.zeros(0, dtype=np.float32)
        _, sl = self._pair_logits(a, b, topic=topic, progress=progress, what="stance pairs")
        return np.tanh(sl / 2.0).astype(np.float32)  # = 2*sigmoid(logit) - 1
