"""The README's Python examples run and print what the README says."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # save_graph writes neuron.svg here, save a checkpoint
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 4
    for i, block in enumerate(blocks):
        exec(compile(block, f"README block {i}", "exec"), {})
    out = capsys.readouterr().out
    expected_lines = ("24.7041", "138.8338", "645.5773", "grad_fn=<NegBackward>",
                      "chainrule.Size([784, 128])",
                      "3 ['0.weight', '0.bias', '2.weight', '2.bias']", "test accuracy 1.00")
    for expected in expected_lines:
        assert expected in out
    assert (tmp_path / "neuron.svg").exists() or (tmp_path / "neuron.dot").exists()
