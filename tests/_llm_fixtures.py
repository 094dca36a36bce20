"""What the ``llm`` tests talk to: a tiny local causal LM and a loopback OpenAI server.

``tiny_model`` builds a two-layer Qwen2 model and a byte-level BPE tokenizer
trained here (with a chat template), teaches the model one reply — a fenced
scene that renders — by a few hundred steps of gradient descent on the
conversations it will see, and saves both to a folder that the ``hf`` backend
loads by path.  ``ChatServer`` is a real HTTP server on 127.0.0.1 speaking
``GET /v1/models`` and ``POST /v1/chat/completions``: it answers with canned
fenced code chosen by a ``responder``, can fail the first requests with given
HTTP statuses (429 with ``Retry-After``), and records every request body so
tests can read the prompts that were sent.  It is the only stand-in: it sits
where a remote API would be.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GOOD_SCENE = """from manim import *


class S(Scene):
    def construct(self):
        self.add(Circle())
"""
BROKEN_SCENE = """from manim import *


class S(Scene):
    def construct(self):
        raise ValueError("boom")
"""
CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                 "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
                 "{% endif %}")


def fenced(code: str) -> str:
    return f"Here is the scene.\n```python\n{code}```\n"


def tiny_model(folder: Path, conversations: list[list[dict[str, str]]], steps: int = 120
               ) -> Path:
    """Save a tiny chat model that answers every one of ``conversations`` with
    ``fenced(GOOD_SCENE)`` (greedy), and check that it does."""
    from benchmark.core.compat import ensure_torchvision

    ensure_torchvision()
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen2Config

    reply = fenced(GOOD_SCENE)
    specials = ["<unk>", "<pad>", "<|im_start|>", "<|im_end|>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    # one pre-token per text, so merges can span whole sentences: the prompts become short
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    bpe.decoder = decoders.ByteLevel()
    corpus = ([reply] + [m["content"] for c in conversations for m in c]) * 20
    bpe.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=3000, special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="<unk>", pad_token="<pad>",
                                  eos_token="<|im_end|>")
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=8192, pad_token_id=tok.pad_token_id,
                         eos_token_id=tok.eos_token_id, bos_token_id=None,
                         tie_word_embeddings=True)
    model = AutoModelForCausalLM.from_config(config)
    prompts = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
               for c in conversations]
    target = tok(reply + "<|im_end|>", add_special_tokens=False)["input_ids"]
    rows = []
    for p in prompts:
        ids = tok(p, add_special_tokens=False)["input_ids"]
        rows.append((torch.tensor(ids + target), len(ids)))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only contend, on a busy machine badly
    try:
        for step in range(steps):
            ids, start = rows[step % len(rows)]
            labels = ids.clone()
            labels[:start] = -100
            loss = model(input_ids=ids[None], labels=labels[None]).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    check_replies(folder, conversations, reply)
    return folder


def check_replies(folder: Path, conversations: list[list[dict[str, str]]], reply: str) -> None:
    """The saved model, loaded back as any user would, answers each conversation greedily
    with ``reply`` (so a test failure later is about the code under test, not the lesson)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    for c in conversations:
        text = tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
        ids = tok(text, add_special_tokens=False, return_tensors="pt")
        out = model.generate(**ids, max_new_tokens=128, do_sample=False,
                             pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
        got = tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
        assert got == reply, got


Responder = Callable[[dict[str, Any]], str]


class ChatServer:
    """An OpenAI-compatible HTTP server on loopback for one test module."""

    def __init__(self, responder: Responder, model: str = "test-model") -> None:
        self.responder = responder
        self.model = model
        self.requests: list[dict[str, Any]] = []  # chat completion bodies, in arrival order
        self.faults: list[int] = []  # statuses to answer the next chat requests with
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def send(self, status: int, body: dict[str, Any],
                     headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self.send(200, {"object": "list", "data": [
                        {"id": server.model, "object": "model", "created": 0,
                         "owned_by": "test"}]})
                else:
                    self.send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.send(404, {"error": {"message": "not found"}})
                    return
                with server.lock:
                    fault = server.faults.pop(0) if server.faults else None
                    server.requests.append({**body, "fault": fault})
                if fault is not None:
                    self.send(fault, {"error": {"message": f"injected {fault}",
                                                "type": "test"}},
                              {"Retry-After": "0"} if fault == 429 else None)
                    return
                if body.get("model") != server.model:
                    self.send(404, {"error": {"message": f"no model {body.get('model')}"}})
                    return
                text = server.responder(body)
                self.send(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                    "model": server.model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def answered(self) -> list[dict[str, Any]]:
        """The chat requests that got a reply (not an injected failure)."""
        with self.lock:
            return [r for r in self.requests if r["fault"] is None]

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
