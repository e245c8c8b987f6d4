"""Pure-Python byte-level BPE tokenizer: a *cost stand-in* for the HF tokenizer.

The real VGT anchor tokenizes prompts with a HuggingFace (Rust) tokenizer via
`transformers`, which cannot be installed here.  This module reads the same
`tokenizer.json` (vocab + merges + added tokens) and runs a GPT-2 style
byte-level BPE so that the per-sample tokenization cost in the Python
reference is of the same order as the real thing.

It is NOT intended for token-id parity: the pre-tokenizer regex uses Unicode
property classes (\\p{L}, \\p{N}) that Python's `re` lacks, so they are
approximated (letters = [^\\W\\d_], numbers = \\d).  For plain English prompts
the ids usually match, but nothing should rely on that.

If the tokenizer file is missing, `load_tokenizer` falls back to a whitespace
hash tokenizer (`WhitespaceHashTokenizer`), whose name callers should report.
"""
import json
import os
import re
import unicodedata
import zlib
from functools import lru_cache

# Qwen2/Qwen3 pre-tokenizer pattern, rewritten for Python `re`:
#   \p{L} -> [^\W\d_]        \p{N} -> \d
#   [^\r\n\p{L}\p{N}] -> (?:[^\r\n\w]|_)   [^\s\p{L}\p{N}] -> (?:[^\s\w]|_)
_L = r"[^\W\d_]"
_PRETOKENIZE = re.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
    r"|(?:[^\r\n\w]|_)?" + _L + r"+"
    r"|\d"
    r"| ?(?:[^\s\w]|_)+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+"
)


def _bytes_to_unicode():
    """GPT-2's reversible byte -> printable-unicode-char table."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) \
        + list(range(ord("\xae"), ord("\xff") + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class ByteLevelBPE:
    name = "bpe-shim"

    def __init__(self, tokenizer_json_path, cache_size=65536):
        with open(tokenizer_json_path, "r", encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        if model.get("type") != "BPE":
            raise ValueError("only BPE tokenizer.json files are supported")
        self.vocab = model["vocab"]
        ranks = {}
        for i, m in enumerate(model["merges"]):
            a, b = m if isinstance(m, (list, tuple)) else m.split(" ", 1)
            ranks[(a, b)] = i
        self.ranks = ranks
        self.byte_map = [c for _, c in sorted(_bytes_to_unicode().items())]
        self.added = {t["content"]: t["id"] for t in spec.get("added_tokens", [])}
        if self.added:
            alts = sorted(self.added, key=len, reverse=True)
            self._special_re = re.compile("(" + "|".join(re.escape(a) for a in alts) + ")")
        else:
            self._special_re = None
        norm = spec.get("normalizer") or {}
        self._nfc = norm.get("type") == "NFC"
        # LRU cache per pre-tokenized word (per process; DataLoader workers
        # each warm their own copy).
        self._bpe_cached = lru_cache(maxsize=cache_size)(self._bpe)

    def _bpe(self, word):
        """Merge a byte-mapped word; returns a tuple of vocab ids."""
        symbols = list(word)
        ranks = self.ranks
        while len(symbols) > 1:
            best, best_rank = None, None
            for i in range(len(symbols) - 1):
                r = ranks.get((symbols[i], symbols[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = i, r
            if best is None:
                break
            a, b = symbols[best], symbols[best + 1]
            merged, i, n = [], 0, len(symbols)
            while i < n:
                if i < n - 1 and symbols[i] == a and symbols[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        vocab = self.vocab
        return tuple(vocab[s] for s in symbols)

    def _encode_plain(self, text, out):
        if self._nfc:
            text = unicodedata.normalize("NFC", text)
        bm = self.byte_map
        for piece in _PRETOKENIZE.findall(text):
            word = "".join(bm[b] for b in piece.encode("utf-8"))
            out.extend(self._bpe_cached(word))

    def encode(self, text):
        out = []
        if self._special_re is None:
            self._encode_plain(text, out)
            return out
        for i, part in enumerate(self._special_re.split(text)):
            if not part:
                continue
            if i % 2 == 1:
                out.append(self.added[part])
            else:
                self._encode_plain(part, out)
        return out

    __call__ = encode


class WhitespaceHashTokenizer:
    """Fallback when tokenizer.json is absent: one id per whitespace word."""
    name = "whitespace-hash-fallback"

    def __init__(self, vocab_size=151643):
        self.vocab_size = vocab_size

    def encode(self, text):
        return [zlib.crc32(w.encode("utf-8")) % self.vocab_size for w in text.split()]

    __call__ = encode


def default_tokenizer_path():
    """../shared/tokenizers/qwen3/tokenizer.json relative to the repo root."""
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(repo_root), "shared", "tokenizers", "qwen3", "tokenizer.json")


def load_tokenizer(path=None):
    path = path or default_tokenizer_path()
    if os.path.isfile(path):
        return ByteLevelBPE(path)
    return WhitespaceHashTokenizer()
