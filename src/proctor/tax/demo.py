"""The offline alignment-tax demonstration: fine-tune MiniLM on one task (the "alignment" target), then trace what
weight averaging between the base and the fine-tuned model buys on that task and costs on another.

Defaults: the alignment target is SST-2 sentiment (1,000 sentences, two epochs, 64 tokens, so it runs on a CPU in a
few minutes), measured as a linear probe's accuracy; the capability is BoolQ question-to-passage
retrieval, the semantic-search skill all-MiniLM-L6-v2 was trained for. `layers=1` makes a one-block model for tests.

    from proctor.tax.demo import finetune_checkpoint
    folder = finetune_checkpoint("out/tuned", DemoConfig(examples=1000))
"""

from __future__ import annotations

from pathlib import Path

from proctor.tax.spec import DemoConfig

__all__ = ["DemoConfig", "finetune_checkpoint"]


def finetune_checkpoint(folder: str | Path, config: DemoConfig | None = None, progress: str | None = None) -> Path:
    """Fine-tune `config.base` end to end with a classification head on `config.dataset`; save the encoder (without
    the head) as a Hugging Face folder that `load_backbone` and `interpolation_sweep` read. Returns the folder."""
    from proctor.data import load_dataset
    from proctor.models.finetune import FineTunedClassifier

    config = config or DemoConfig()
    splits = load_dataset(config.dataset, split_seed=config.seed, max_train=config.examples,
                          **config.options_for(config.dataset))
    clf = FineTunedClassifier(config.base, layers=config.layers, max_length=config.max_length, epochs=config.epochs,
                              lr=config.lr, random_state=config.seed, progress=progress)
    clf.fit(splits.train.texts, splits.train.labels)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    clf.module_.backbone.save_pretrained(folder)
    clf.tokenizer_.save_pretrained(folder)
    return folder
