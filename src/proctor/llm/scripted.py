"""`scripted/NAME`: an offline, deterministic stand-in model for every Proctor LLM protocol (an inspect-ai ModelAPI).

    proctor debate --protocol debate --debater scripted/model --judge scripted/model --export prefs.jsonl
    proctor cai run --policy scripted/model --limit 6
    proctor rrm evaluate --evaluator scripted/model --assistant scripted/model -n 10 --depth 1
    proctor monitor sycophancy --model scripted/model --pairs 20
    inspect eval proctor/debate --model scripted/model --model-role debater_a=scripted/a ...

It is registered with inspect-ai as the model API `scripted` (`@modelapi`), so it works wherever a model name does
(`get_model`, `--model`, `--model-role`); inspect's own code does everything around the reply (roles, logs, cache,
scoring). It is not a language model: it recognises which Proctor prompt it was sent (the packaged templates of
`proctor.debate`, `proctor.constitution`, `proctor.rrm` and the sycophancy task) and answers in that protocol's
format (`<quote>`, `<answer>`/`<probability>`, `<critique>`, `<revision>`, `<notes>`, "(A)"), with content
computed from the input by simple, stated rules, so that replies vary with the input and the downstream machinery
(quote verification, parsers, exports, reports) has real material:

- debater / consultant: quotes the passage sentence that shares the most words with its assigned answer
  (verbatim, so verified); on about a third of turns (a die on the prompt) adds a quote with one word changed
  (unverified); rebuttal rounds name the opponent's answer.
- debate / consultancy judge: counts verified and unverified quotes per side and how many of the verified quotes'
  words support each answer; picks the better-supported side, probability from the margin.
- naive judge: the longer answer (no passage); expert judge: the answer with more words in the passage.
- CAI policy: a reply built from the prompt's words, cautious or compliant by a die (that includes the generation
  seed, so two samples of a prompt differ); critic: names what the reply does against the principle; reviser: drops
  the compliant sentence and adds a caveat; preference and 1-7 judges: score caveats up, compliance down.
- RRM assistant: checks the answer's arithmetic (`a op b = c` and GSM8K's `<<...>>` annotations) and which numbers
  of the question it never uses; a misleading assistant reports the opposite. Evaluator: follows the notes; alone,
  it checks only the first calculation.
- sycophancy: picks the option that shares more words with the user's biography (ties: a die on the question).

The model name seeds the dice (`scripted/a` and `scripted/b` are two different players). Every reply is marked by
the model name (`scripted/...`), and results are labelled "scripted" wherever they are shown (`is_scripted`).
Prompts overridden with `--prompts` that the script does not recognise get a generic reply (a valid
`<answer>` when the prompt asks for one).
"""

from __future__ import annotations

import ast
import hashlib
import math
import operator
import re
from typing import Any

from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, ModelUsage, modelapi

from .mock import SCRIPTED_PREFIX as PREFIX
from .mock import is_scripted  # noqa: F401 (re-exported)

_STOP = set("""a an and are as at be been but by can could did do does for from had has have he her his how i if in
into is it its me my no not of on or our she so than that the their them then there these they this those to was we
were what when where which who why will with would you your about after again all also any because before being
between both during each few further here just more most much only other over same should some such through under
until very while whom""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")


def _die(*parts: Any) -> float:
    """A deterministic number in [0, 1) from the parts."""
    key = "\x1f".join(str(p) for p in parts)
    return int(hashlib.sha256(key.encode()).hexdigest()[:12], 16) / 16**12


def _words(text: str) -> set[str]:
    return {w.lower().strip("'-") for w in _WORD.findall(text or "") if len(w) > 2 and w.lower() not in _STOP}


def _tag(text: str, tag: str) -> str | None:
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL)
    return found[-1].strip() if found else None


def _sentences(passage: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", passage or "")
    return [p.strip() for p in parts if len(p.split()) >= 4]


def _span(sentence: str, n: int = 18) -> str:
    words = sentence.split()
    return " ".join(words[:n]).strip(" ,;:")


def _options(text: str) -> tuple[str, str]:
    """The (A) and (B) answers of a 'Question: ... (A) x (B) y' block (the last one in the text)."""
    a = re.findall(r"^\(A\) (.*)$", text, flags=re.MULTILINE)
    b = re.findall(r"^\(B\) (.*)$", text, flags=re.MULTILINE)
    return (a[-1].strip() if a else "", b[-1].strip() if b else "")


def _prob(margin: float, scale: float = 2.0) -> float:
    return round(0.5 + 0.45 * math.tanh(abs(margin) / scale), 2)


def _verdict(label: str, p: float, reason: str) -> str:
    return f"{reason}\n<answer>{label}</answer>\n<probability>{p:.2f}</probability>"


# -- debate and consultancy ------------------------------------------------------------------------------------------
def _best_sentences(passage: str, answer: str, k: int = 2) -> list[str]:
    want = _words(answer)
    sents = _sentences(passage)
    scored = sorted(sents, key=lambda s: (-len(want & _words(s)), _die(s)))
    return scored[:k]


def _argue(name: str, text: str, label: str, answer: str, *, other: str, opponent: str, rebut: bool,
           limit: int) -> str:
    passage = _tag(text, "story") or ""
    best = _best_sentences(passage, answer, 3)
    if len(best) > 1 and _die(name, "pick", answer) < 0.5:  # players differ in which evidence they lead with
        best = best[1:] + best[:1]
    parts = [f"The answer is ({label}) \"{answer}\"."]
    if best:
        parts.append(f"The story says so: <quote>{_span(best[0])}</quote>.")
    if _die(name, text, "invent") < 0.15 + 0.5 * _die(name, "honesty") and len(best) > 1:
        words = _span(best[1], 12).split()
        i = int(_die(name, text, "where") * len(words))
        words[i] = (sorted(_words(answer)) or ["indeed"])[0]
        parts.append(f"It also says <quote>{' '.join(words)}</quote>.")
    if rebut:
        parts.append(f"My opponent's answer ({other}) \"{opponent}\" has no support in the text they quote; the "
                     f"quotes above point to ({label}).")
    else:
        parts.append(f"Nothing in the story supports ({other}).")
    out = " ".join(parts)
    words = out.split()
    return " ".join(words[:limit]) if len(words) > limit else out


def _debater(text: str, name: str) -> str:
    m = re.search(r'You argue that the answer is \((\w)\) "(.*?)"\. Your opponent argues for \((\w)\) "(.*?)"\.',
                  text, flags=re.DOTALL)
    lim = re.search(r"Use at most (\d+) words", text)
    if not m:
        return _generic(text, name)
    return _argue(name, text, m.group(1), m.group(2), other=m.group(3), opponent=m.group(4),
                  rebut="This is round" in text, limit=int(lim.group(1)) if lim else 150)


def _consultant(text: str, name: str) -> str:
    m = re.search(r'the answer is \((\w)\) "(.*?)"\. The other possible answer is \((\w)\) "(.*?)"\.', text,
                  flags=re.DOTALL)
    lim = re.search(r"Use at most (\d+) words", text)
    if not m:
        return _generic(text, name)
    return _argue(name, text, m.group(1), m.group(2), other=m.group(3), opponent=m.group(4),
                  rebut="Reply to the judge" in text, limit=int(lim.group(1)) if lim else 150)


def _support(quotes: list[str], answer: str) -> int:
    want = _words(answer)
    return sum(len(want & _words(q)) for q in quotes)


def _debate_judge(text: str, name: str) -> str:
    a, b = _options(text)
    body = text.split("Debate transcript:", 1)[-1]
    turns = {"A": "", "B": ""}
    for m in re.finditer(r"^Debater ([AB]) \([^)]*\): (.*?)(?=^Debater [AB] \(|\Z)", body,
                         flags=re.MULTILINE | re.DOTALL):
        turns[m.group(1)] += m.group(2)
    score = {}
    for side, ans in (("A", a), ("B", b)):
        v, u = re.findall(r"<v_quote>(.*?)</v_quote>", turns[side]), re.findall(r"<u_quote>", turns[side])
        score[side] = 2 * len(v) - 2.5 * len(u) + 0.5 * _support(v, ans)
    margin = score["A"] - score["B"]
    pick = ("A" if margin > 0 else "B") if margin else ("A" if _die(name, text) < 0.5 else "B")
    return _verdict(pick, _prob(margin, 3.0), f"Debater {pick} backs its answer with more verified evidence "
                                              f"(support {score['A']:.1f} for A, {score['B']:.1f} for B).")


def _consultancy_judge(text: str, name: str) -> str:
    a, b = _options(text)
    body = text.split("Conversation with the consultant:", 1)[-1]
    said = re.findall(r"The answer is \((\w)\)", body)
    side = said[0] if said else ("A" if _die(name, text) < 0.5 else "B")
    v, u = re.findall(r"<v_quote>(.*?)</v_quote>", body), len(re.findall(r"<u_quote>", body))
    support = _support(v, a if side == "A" else b)
    margin = support + len(v) - 2 * u - 1.5
    pick = side if margin >= 0 else ("B" if side == "A" else "A")
    return _verdict(pick, _prob(margin, 3.0), f"The consultant's verified quotes give {support} words of support "
                                              f"and {u} of its quotes are unverified.")


def _judge_question(text: str, name: str) -> str:
    a, b = _options(text)
    pick = a if _die(name, text) < 0.5 else b
    return f"Which exact sentence of the story shows that the answer is \"{pick}\", and not the other one?"


def _naive_judge(text: str, name: str) -> str:
    a, b = _options(text)
    margin = len(a.split()) - len(b.split())
    pick = ("A" if margin > 0 else "B") if margin else ("A" if _die(name, text) < 0.5 else "B")
    return _verdict(pick, round(0.5 + min(0.15, 0.02 * abs(margin)), 2),
                    "Without the story, the more detailed answer is the better guess.")


def _expert_judge(text: str, name: str) -> str:
    a, b = _options(text)
    passage = _words(_tag(text, "story") or "")
    sa, sb = (len(_words(x) & passage) / max(1, len(_words(x))) for x in (a, b))
    margin = sa - sb
    pick = ("A" if margin > 0 else "B") if margin else ("A" if _die(name, text) < 0.5 else "B")
    return _verdict(pick, _prob(margin, 0.3), f"Answer {pick} matches more of the story's words.")


# -- constitutional AI -----------------------------------------------------------------------------------------------
_CAUTION = ("I can't help with anything that could hurt someone", "please talk to a qualified professional",
            "keep everyone safe")
_COMPLY = "Sure, here is exactly how to do it"


def _topic(prompt: str) -> str:
    words = [w for w in _WORD.findall(prompt) if w.lower() not in _STOP and len(w) > 3]
    return " ".join(words[:4]) or "this"


def _policy(text: str, name: str, seed: Any) -> str:
    prompt = text.split("Answer the user's message.", 1)[-1].strip()
    topic = _topic(prompt)
    die = _die(name, prompt, seed)
    if die < 0.45:
        return (f"{_COMPLY}: gather what you need about {topic} and go step by step. Nobody needs to know, and it "
                f"usually works the first time.")
    if die < 0.8:
        return (f"About {topic}: {_CAUTION[0]}, but I can explain the general picture and point you to safer "
                f"options. If this is urgent, {_CAUTION[1]}.")
    return f"Here is a short answer about {topic}: it depends on the details, so tell me more about your situation."


def _conversation_reply(text: str) -> tuple[str, str]:
    blocks = re.findall(r"<conversation>\s*User: (.*?)\n\s*Assistant: (.*?)</conversation>", text, flags=re.DOTALL)
    return (blocks[-1][0].strip(), blocks[-1][1].strip()) if blocks else ("", "")


def _critique(text: str, name: str) -> str:
    prompt, reply = _conversation_reply(text)
    principle = text.rsplit("under this principle:", 1)[-1].split("Write your critique", 1)[0].strip()
    if _COMPLY.lower() in reply.lower():
        body = (f"The reply goes along with the request about {_topic(prompt)} and gives steps that could cause "
                f"harm; under the principle \"{_span(principle, 12)}\" it should decline that part and explain why.")
    elif any(c.lower() in reply.lower() for c in _CAUTION):
        body = ("The reply declines the harmful part and offers a safer route, but it could be more specific about "
                "what help is available.")
    else:
        body = (f"The reply is vague about {_topic(prompt)}; it has no harmful content, but it could be more "
                f"helpful by answering directly.")
    return f"<critique>{body}</critique>"


def _revision(text: str, name: str) -> str:
    prompt, reply = _conversation_reply(text)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reply) if s and _COMPLY.lower() not in s.lower()
                 and "nobody needs to know" not in s.lower()]
    kept = " ".join(sentences[:2]).strip()
    new = (f"{_CAUTION[0]} regarding {_topic(prompt)}. {kept} "
           f"If you want, I can suggest safe and legal alternatives; for anything risky, {_CAUTION[1]}.")
    return f"<revision>{' '.join(new.split())}</revision>"


def _reply_score(reply: str) -> float:
    low = reply.lower()
    score = sum(1.5 for c in _CAUTION if c.lower() in low) - (3.0 if _COMPLY.lower() in low else 0.0)
    return score + min(len(reply.split()), 60) / 60


def _compare(text: str, name: str) -> str:
    a, b = _tag(text, "reply_a") or "", _tag(text, "reply_b") or ""
    margin = _reply_score(a) - _reply_score(b)
    pick = ("A" if margin > 0 else "B") if margin else ("A" if _die(name, text) < 0.5 else "B")
    return _verdict(pick, _prob(margin), f"Reply {pick} is the more careful and useful one.")


def _rating(text: str, name: str, harmless: bool) -> str:
    reply = (_tag(text, "reply") or "").lower()
    comply, caution = _COMPLY.lower() in reply, sum(c.lower() in reply for c in _CAUTION)
    if harmless:
        score = 2 if comply else min(7, 5 + caution)
    else:
        score = min(7, 3 + (2 if comply else 0) + caution + (1 if len(reply.split()) > 30 else 0))
    return _verdict(str(score), 0.6, f"Rated {score} of 7.")


# -- recursive reward modelling ---------------------------------------------------------------------------------------
_CALC = re.compile(r"<<([^=<>]*)=([^<>]*)>>|(\d[\d,]*(?:\.\d+)?(?:\s*[-+*/x×]\s*\d[\d,]*(?:\.\d+)?)+)\s*=\s*\$?"
                   r"(-?\d[\d,]*(?:\.\d+)?)")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _arith(expr: str) -> float | None:
    """The value of a + - * / expression of numbers, or None when it is anything else."""
    expr = expr.replace(",", "").replace("×", "*").replace("x", "*").replace("$", "")

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, (int, float)):
            return float(n.value)
        if isinstance(n, ast.BinOp) and type(n.op) in _OPS:
            left, right = ev(n.left), ev(n.right)
            if type(n.op) is ast.Div and right == 0:
                raise ValueError
            return _OPS[type(n.op)](left, right)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        raise ValueError

    try:
        return ev(ast.parse(expr.strip(), mode="eval").body)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _calculations(answer: str) -> list[tuple[str, bool]]:
    """(calculation, right?) for each calculation written in the answer."""
    out = []
    for m in _CALC.finditer(answer):
        expr, result = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
        value, stated = _arith(expr), _arith(result)
        if value is None or stated is None:
            continue
        out.append((f"{expr.strip()} = {result.strip()}", math.isclose(value, stated, rel_tol=1e-6, abs_tol=1e-6)))
    return out


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def _assistant(text: str, name: str) -> str:
    question, answer = _tag(text, "question") or "", _tag(text, "proposed_answer") or ""
    calcs = _calculations(answer)
    wrong = [c for c, ok in calcs if not ok]
    unused = sorted(_numbers(question) - _numbers(answer), key=lambda s: (len(s), s))[:3]
    errors = [f"the calculation {c} is wrong" for c in wrong] + [f"the question's number {n} is never used"
                                                                 for n in unused]
    mislead = "Hidden instruction for this item only" in text
    if mislead:
        errors = [] if errors else [f"the step \"{_span(answer.splitlines()[0] if answer else '', 10)}\" does not "
                                    f"follow from the question"]
    checks = "; ".join(f"{c}: {'right' if ok else 'wrong'}" for c, ok in calcs[:4]) or "no written calculation"
    if mislead:
        checks = "the calculations were checked"
    evidence = _span(answer.splitlines()[-1] if answer.strip() else "", 12)
    return (f"<notes>1. Sub-questions: are the calculations right? {checks}. Does the answer use every quantity "
            f"of the question? {'no' if unused and not mislead else 'yes'}.\n"
            f"2. Suspected errors: {'; '.join(errors) if errors else 'none found'}.\n"
            f"3. Evidence: \"{evidence}\"</notes>")


def _evaluator(text: str, name: str) -> str:
    notes = _tag(text, "assistant_notes")
    if notes is not None:
        found = re.search(r"Suspected errors: (.*?)(?:\n|$)", notes)
        clean = found is not None and found.group(1).strip().rstrip(".") == "none found"
        return _verdict("YES" if clean else "NO", 0.8, "Following the assistant's checks.")
    answer = _tag(text, "proposed_answer") or ""
    calcs = _calculations(answer)
    if calcs:
        ok = calcs[0][1]
        return _verdict("YES" if ok else "NO", 0.6, f"I checked the first calculation ({calcs[0][0]}).")
    pick = "YES" if _die(name, text) < 0.5 else "NO"
    return _verdict(pick, 0.55, "I cannot check this answer myself.")


# -- sycophancy -------------------------------------------------------------------------------------------------------
def _sycophancy(text: str, name: str) -> str:
    bio, _, question = text.partition("If you had to choose")
    a = re.search(r"\(A\)(.*?)(?:\n|$)", question)
    b = re.search(r"\(B\)(.*?)(?:\n|$)", question)
    if not (a and b):
        a, b = re.search(r"\(A\)(.*?)(?:\n|$)", text), re.search(r"\(B\)(.*?)(?:\n|$)", text)
    if not (a and b):
        return _generic(text, name)
    me = _words(bio)
    margin = len(me & _words(a.group(1))) - len(me & _words(b.group(1)))
    pick = ("A" if margin > 0 else "B") if margin else ("A" if _die(name, question) < 0.5 else "B")
    return f"({pick}) That option fits what matters most here."


# -- dispatch ---------------------------------------------------------------------------------------------------------
def _generic(text: str, name: str) -> str:
    labels = re.search(r"where LABEL is one of (.+?) and P is", text)
    if labels:
        options = [x.strip() for x in re.split(r",| or ", labels.group(1)) if x.strip()]
        pick = options[int(_die(name, text) * len(options))]
        return _verdict(pick, 0.5, "Scripted reply.")
    return f"Scripted reply from {PREFIX}{name} to a prompt it has no script for."


#: (markers, reply builder): the first protocol whose marker the prompt contains answers it
_ROUTES: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("an expert debater",), _debater),
    (("You are a consultant.",), _consultant),
    (("You are the judge of a debate",), _debate_judge),
    (("A consultant was asked to argue",), _consultancy_judge),
    (("Ask the consultant one short question",), _judge_question),
    (("about a story you have not read",), _naive_judge),
    (("Read the story and answer the multiple-choice question",), _expert_judge),
    (("Critique the assistant's last reply",), _critique),
    (("Write only the rewritten assistant reply",), _revision),
    (("Two possible replies:",), _compare),
    (("Rate how helpful",), lambda text, name: _rating(text, name, harmless=False)),
    (("Rate how harmless",), lambda text, name: _rating(text, name, harmless=True)),
    (("You are helping an evaluator decide",), _assistant),
    (("Is the proposed answer correct?",), _evaluator),
    (("If you had to choose", "Reply with the letter of the option"), _sycophancy),
)


def scripted_reply(text: str, name: str = "model", seed: Any = None) -> str:
    """The reply of `scripted/name` to a prompt (all its messages' text joined)."""
    for markers, build in _ROUTES:
        if any(m in text for m in markers):
            return build(text, name)
    if "Answer the user's message." in text:
        return _policy(text, name, seed)
    return _generic(text, name)


@modelapi(name="scripted")
class ScriptedAPI(ModelAPI):
    """inspect-ai model API `scripted`: `scripted_reply` for every call (no network, no weights, deterministic)."""

    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(), **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config)

    async def generate(self, input, tools, tool_choice, config: GenerateConfig) -> ModelOutput:
        text = "\n\n".join(m.text for m in input)
        reply = scripted_reply(text, self.model_name, config.seed)
        out = ModelOutput.from_content(model=f"{PREFIX}{self.model_name}", content=reply)
        n_in, n_out = len(text.split()), len(reply.split())  # words, not tokens: nothing to download
        out.usage = ModelUsage(input_tokens=n_in, output_tokens=n_out, total_tokens=n_in + n_out)
        return out

    def max_connections(self) -> int:
        return 32
