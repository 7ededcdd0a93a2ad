"""transformers backend: batched ``model.generate`` on CPU or GPU, with per-row seeds.

``generate`` draws every row of a batch from one global random stream, so a row's sample would
depend on what else is in the batch. To follow the seeding convention of
:mod:`prmlib.generation.base` (completion ``j`` of an item = seed ``item_seed + j``, whatever the
batch), sampling is done by a logits processor holding one ``torch.Generator`` per row: it applies
temperature and top-p, draws the token from the row's own generator and masks every other token,
and ``generate`` then runs in greedy mode (picking the drawn token).
"""

from __future__ import annotations

from collections.abc import Sequence

from prmlib.generation.base import PromptBackend, trim_at_stop
from prmlib.generation.config import GeneratorConfig
from prmlib.interfaces import Completion


class _PerRowSampler:
    """Logits processor: temperature + top-p sampling from one seeded generator per row."""

    def __init__(self, generators, temperature: float, top_p: float) -> None:
        self.generators = generators
        self.temperature = temperature
        self.top_p = top_p

    def __call__(self, input_ids, scores):
        import torch

        logits = scores.float() / self.temperature
        probs = torch.softmax(logits, dim=-1)
        if self.top_p < 1.0:
            sorted_p, order = torch.sort(probs, dim=-1, descending=True)
            cum = torch.cumsum(sorted_p, dim=-1)
            drop = cum - sorted_p > self.top_p  # keep the smallest set reaching top_p
            sorted_p = sorted_p.masked_fill(drop, 0.0)
            probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
        out = torch.full_like(scores, float("-inf"))
        for row in range(scores.shape[0]):
            token = torch.multinomial(probs[row], 1, generator=self.generators[row])
            out[row, token] = 0.0
        return out


class HFGenerator(PromptBackend):
    """A policy run with transformers.

    Args:
        config: a :class:`GeneratorConfig` with ``backend="hf"``.
        model, tokenizer: already loaded objects (optional; loaded from ``config.model`` otherwise).
    """

    def __init__(self, config: GeneratorConfig, model=None, tokenizer=None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config = config
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(
                config.tokenizer or config.model, trust_remote_code=config.trust_remote_code
            )
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        super().__init__(tokenizer, config.system_prompt, config.use_chat_template)
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if model is None:
            dtype = "auto" if config.dtype == "auto" else getattr(torch, config.dtype)
            model = AutoModelForCausalLM.from_pretrained(
                config.model, dtype=dtype, trust_remote_code=config.trust_remote_code
            )
        self.model = model.to(self.device).eval()

    def _generate(self, prompts: Sequence[str], ks: Sequence[int], seeds: Sequence[int | None]) -> list[list[Completion]]:
        rows = [(i, j) for i, k in enumerate(ks) for j in range(int(k))]
        results: list[list[Completion | None]] = [[None] * int(k) for k in ks]
        bs = max(1, int(self.config.batch_size))
        for start in range(0, len(rows), bs):
            chunk = rows[start : start + bs]
            texts = [prompts[i] for i, _ in chunk]
            row_seeds = [None if seeds[i] is None else int(seeds[i]) + j for i, j in chunk]
            for (i, j), comp in zip(chunk, self._generate_rows(texts, row_seeds)):
                results[i][j] = comp
        return [list(r) for r in results]  # type: ignore[arg-type]

    def _generate_rows(self, texts: list[str], seeds: list[int | None]) -> list[Completion]:
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        cfg = self.config
        tok = self.tokenizer
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        gen_cfg = GenerationConfig(
            do_sample=False, max_new_tokens=cfg.max_tokens, pad_token_id=tok.pad_token_id,
            eos_token_id=self._eos_ids(),
        )
        kwargs = {}
        if cfg.stop:
            gen_cfg.stop_strings = list(cfg.stop)
            kwargs["tokenizer"] = tok
        processors = LogitsProcessorList()
        if cfg.temperature > 0:
            gens = []
            for s in seeds:
                g = torch.Generator(device=self.device)
                if s is None:
                    g.seed()
                else:
                    g.manual_seed(int(s))
                gens.append(g)
            processors.append(_PerRowSampler(gens, cfg.temperature, cfg.top_p))
        with torch.no_grad():
            out = self.model.generate(
                **enc, generation_config=gen_cfg, logits_processor=processors, **kwargs
            )
        new = out[:, enc["input_ids"].shape[1] :].tolist()
        eos_ids = set(gen_cfg.eos_token_id or [])
        comps = []
        for ids in new:
            n, finish = _count_until_pad(ids, tok.pad_token_id), "length"
            for pos, t in enumerate(ids):
                if t in eos_ids:
                    n, finish = pos + 1, "stop"
                    break
            text = tok.decode(ids[:n], skip_special_tokens=True)
            text, stopped = trim_at_stop(text, cfg.stop)
            if stopped:
                finish = "stop"
            comps.append(Completion(text=text, num_tokens=n, finish_reason=finish))
        return comps

    def _eos_ids(self) -> list[int]:
        """End-of-text ids: the tokenizer's plus the model's generation config's (instruct models
        such as Qwen2.5 end a turn with ``<|im_end|>`` and may also stop on ``<|endoftext|>``)."""
        ids: list[int] = []
        sources = [self.tokenizer.eos_token_id, getattr(getattr(self.model, "generation_config", None),
                                                         "eos_token_id", None), self.model.config.eos_token_id]
        for src in sources:
            for i in src if isinstance(src, (list, tuple)) else [src]:
                if i is not None and int(i) not in ids:
                    ids.append(int(i))
        return ids

    def close(self) -> None:
        self.model = None
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover
            pass


def _count_until_pad(ids: list[int], pad_id: int | None) -> int:
    n = len(ids)
    while n and pad_id is not None and ids[n - 1] == pad_id:
        n -= 1
    return n
