"""Prompt templates are untrusted (a suite or --prompts / --prompt-templates can name any folder): they render in
Jinja2's sandbox. The issue's payload, `{{ cycler.__init__.__globals__.os.system('id > PWNED') }}`, is a one-line
error naming the file (exit 2, before anything runs) on every path that takes a template folder, and creates nothing;
one that hides the name from the static check is stopped by the sandbox at render time. The packaged templates render
the same in the sandbox as they are, and the report renderer loads only its own templates and escapes model text."""

import json
import shutil
from importlib.resources import files

import jinja2
import jinja2.meta
import pytest
from conftest import assert_user_error, invoke

from proctor.errors import ConfigError
from proctor.llm.prompts import PromptTemplates

pytest.importorskip("inspect_ai")

PAYLOAD = "{{ cycler.__init__.__globals__.os.system('id > PWNED') }}"
# the same reach with the attribute name built at render time: no constant for a static check to see
HIDDEN = "{% set g = '__glob' ~ 'als__' %}{{ cycler[('__in' ~ 'it__')][g].os.system('id > PWNED') }}"


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """A template folder whose every debate / CAI / RRM template runs the payload; the cwd is an empty folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    folder = tmp_path / "evil"
    folder.mkdir()
    for pkg in ("proctor.debate", "proctor.constitution", "proctor.rrm"):
        for name in PromptTemplates(pkg).names():
            (folder / f"{name}.jinja").write_text("Question: {{ question }}\n" + PAYLOAD + "\n")
    return folder, work


def _nothing_created(work):
    assert not (work / "PWNED").exists()
    assert not list(work.rglob("PWNED"))
    assert [p.name for p in work.iterdir()] == [], list(work.iterdir())


def test_payload_is_a_one_line_error_naming_file_and_line(hostile):
    folder, work = hostile
    with pytest.raises(ConfigError) as e:
        PromptTemplates("proctor.debate", folder)
    msg = str(e.value)
    assert "\n" not in msg and ".jinja:2:" in msg and "'__init__'" in msg and "'__globals__'" in msg
    _nothing_created(work)


def test_hidden_payload_is_stopped_by_the_sandbox_at_render_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "judge_naive.jinja").write_text(HIDDEN)
    t = PromptTemplates("proctor.debate", tmp_path)  # the static check cannot see a name built at render time
    with pytest.raises(ConfigError, match=r"judge_naive.jinja: SecurityError: .*__init__.* unsafe") as e:
        t.render("judge_naive", question="q")
    assert "\n" not in str(e.value)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("source,needle", [
    ("{{ 'a' * 10**7 }}", "repeats a sequence"),
    ("{{ [0] * 10**8 }}", "repeats a sequence"),
    ("{{ 7 ** 100000 }}", "too large"),
    ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
    ("{{ answers.append('x') }}", "SecurityError"),  # the values passed in are immutable
    ("{{ answers.__class__ }}", "'__class__'"),
    ("{{ answers|attr('__class__') }}", "'__class__'"),
    ("{{ 1/0 }}", "ZeroDivisionError"),
    ("{% if %}", "syntax error"),
])
def test_resource_and_mutation_limits(tmp_path, source, needle):
    (tmp_path / "judge_naive.jinja").write_text(source)
    with pytest.raises(ConfigError, match="judge_naive.jinja") as e:
        PromptTemplates("proctor.debate", tmp_path).render("judge_naive", answers=["a", "b"])
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_small_arithmetic_and_every_packaged_variable_still_work(tmp_path):
    (tmp_path / "judge_naive.jinja").write_text("{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 6 * 7 }} {{ labels|join('/') }} "
                                                "{{ question|upper }} {% for a in answers %}{{ loop.index }}{{ a }}"
                                                "{% endfor %}")
    assert PromptTemplates("proctor.debate", tmp_path).render(
        "judge_naive", labels=["A", "B"], question="q", answers=["x", "y"]) == "ababab 1024 42 A/B Q 1x2y"


@pytest.mark.parametrize("pkg", ["proctor.debate", "proctor.constitution", "proctor.rrm"])
def test_packaged_templates_copied_as_user_templates_render_the_same(tmp_path, pkg):
    src = files(pkg).joinpath("prompts")
    for p in src.iterdir():
        if p.name.endswith(".jinja"):
            shutil.copy(str(p), tmp_path / p.name)
    shipped, user = PromptTemplates(pkg), PromptTemplates(pkg, tmp_path)
    env = jinja2.Environment()
    for name in shipped.names():
        names = jinja2.meta.find_undeclared_variables(env.parse(shipped.source(name)[0]))
        values = {v: [f"{v}-0", f"{v}-1"] if v in ("labels", "answers", "names") else f"<{v}>" for v in names}
        out = user.render(name, **values)
        assert out == shipped.render(name, **values) and out, name


def test_debate_cli_and_suite_refuse_the_payload(hostile, tmp_path):
    folder, work = hostile
    res = invoke("debate", "--protocol", "naive", "--judge", "mockllm/model", "--dataset", _mc_file(tmp_path),
                 "--prompts", folder, "--out", tmp_path / "run")
    assert_user_error(res, "evil/", ".jinja:2:", "__init__")
    suite = tmp_path / "suite.toml"
    suite.write_text(f'name = "evil"\n[[experiment]]\ntype = "debate"\ndataset = "{_mc_file(tmp_path)}"\n'
                     f'protocols = ["naive"]\njudge = "mockllm/model"\nprompts = "{folder}"\n')
    assert_user_error(invoke("run", suite, "--out", tmp_path / "suite-run"), ".jinja:2:", "__init__")
    assert not (tmp_path / "run").exists() and not (tmp_path / "suite-run").exists()
    _nothing_created(work)


def test_debate_hidden_payload_fails_every_sample_with_the_sandbox_error(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("INSPECT_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "judge_naive.jinja").write_text(HIDDEN)
    res = invoke("debate", "--protocol", "naive", "--judge", "mockllm/model", "--dataset", _mc_file(tmp_path),
                 "--prompts", folder, "--out", tmp_path / "run")
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    last = res.stderr.strip().splitlines()[-1]
    assert "no sample finished (3 of 3 failed)" in last and "SecurityError" in last and "judge_naive.jinja" in last, last
    assert not list(tmp_path.rglob("PWNED"))


def test_cai_and_rrm_refuse_the_payload(hostile, tmp_path):
    folder, work = hostile
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"prompt": "How do I pick a lock?"}) + "\n")
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"question": "2+2?", "answer": "4", "label": True}) + "\n")
    common = ("--policy", "mockllm/model", "--prompts", prompts, "--prompt-templates", folder)
    assert_user_error(invoke("cai", "revise", *common, "--out", tmp_path / "cai-out"), ".jinja:2:", "__init__")
    assert_user_error(invoke("cai", "run", *common, "--out", tmp_path / "cai-run"), ".jinja:2:", "__init__")
    assert_user_error(invoke("rrm", "evaluate", "--evaluator", "mockllm/model", "--assistant", "mockllm/model",
                             "--items", items, "--prompt-templates", folder, "--out", tmp_path / "rrm-run"),
                      ".jinja:2:", "__init__")
    for d in ("cai-run", "rrm-run"):
        assert not (tmp_path / d).exists()
    assert not (tmp_path / "cai-out").exists() or not any((tmp_path / "cai-out").iterdir())
    _nothing_created(work)


def test_report_renderer_loads_only_its_own_templates_and_escapes_model_text(tmp_path):
    from proctor.report import Section, Table, render_html
    from proctor.report.render import _environment

    env = _environment()
    assert isinstance(env.loader, jinja2.PackageLoader) and env.autoescape is True
    evil = "{{ 7 * 7 }} {{ cycler.__init__ }} <script>alert(1)</script>"
    doc = render_html(title=evil, sections=[Section(evil, summary=evil, tables=[Table([evil], [[evil]], caption=evil)])],
                      meta={"model": evil})
    assert "49" not in doc and "<script>alert(1)</script>" not in doc
    assert "{{ 7 * 7 }}" in doc and "&lt;script&gt;" in doc


def _mc_file(tmp_path):
    path = tmp_path / "mc.jsonl"
    if not path.exists():
        path.write_text("".join(json.dumps({"question": f"Q{i}?", "choices": ["yes", "no"], "answer": 0,
                                            "passage": "A short story."}) + "\n" for i in range(3)))
    return path
