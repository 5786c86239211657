"""Benchmark datasets as declarative records, and where their files come from.

A :class:`DatasetRecord` names the files (relative to the data directory, in
the layout of ``shared/datasets``), the format, the sha256 of every file, the
score scale, the citation and the licence note. :func:`load_dataset` resolves
the files in this order and verifies every sha256 (a mismatch is refused):

1. the data directory ``FORGE_DATA_DIR`` (:func:`forge._paths.data_dir`);
2. the user cache ``forge._paths.cache_dir() / "datasets"``;
3. gensim's shipped test data, for ``wordsim353``, ``simlex999`` and
   ``google-analogy`` (so these work offline on every install);
4. with ``download=True``, a checksummed download (pooch) from the source
   URL into the user cache.

Users add their own files with :func:`register_dataset`. ``script`` marks
Chinese sets as simplified or traditional; ``transform`` (a ``str -> str``
callable applied to every word and context token when loading, e.g. an
OpenCC converter) is the hook for script conversion.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forge._catalogue import Registry
from forge._paths import cache_dir, data_dir
from forge.bench import _checksums as C
from forge.bench import _parsers as P
from forge.bench._formats import FORMATS, get_format
from forge.bench._tasks import _KINDS, DatasetTask, get_task_kind, set_record_loader
from forge.errors import BadInputError, MissingDataError, PluginError, UnknownNameError

__all__ = [
    "DatasetRecord",
    "Dataset",
    "FORMATS",
    "KINDS",
    "register_dataset",
    "get_record",
    "get_task",
    "register_task",
    "list_tasks",
    "list_datasets",
    "load_dataset",
    "load_record",
    "available_datasets",
    "expand_names",
    "GROUPS",
]

KINDS = ("similarity", "analogy", "polysemy")  # the built-in task kinds (forge.bench._tasks)


@dataclass(frozen=True)
class DatasetRecord:
    """What a benchmark dataset is and where its files live.

    ``files`` are relative to the data directory (or absolute for user
    datasets); ``sha256`` maps each of them to its checksum (None: not
    checked); ``urls`` maps them to download sources; ``digest``, when set,
    is checked against the whole dataset's digest (:attr:`Dataset.sha256`),
    as ``register_dataset(..., sha256=...)`` gives it for a ``wic`` folder.
    """

    name: str
    kind: str
    language: str
    format: str
    files: tuple[str, ...]
    sha256: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    scale: tuple[float, float] | None = None
    citation: str = ""
    licence: str = "not stated; research use, cite the paper"
    description: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    gensim_file: str | None = None  # name in gensim.test.utils.datapath
    gensim_sha256: str | None = None
    gensim_options: dict[str, Any] = field(default_factory=dict)
    script: str | None = None  # "simplified" / "traditional" for Chinese
    transform: Callable[[str], str] | None = None
    user: bool = False
    digest: str | None = None  # sha256 of the whole dataset (Dataset.sha256), multi-file sets


@dataclass
class Dataset:
    """A loaded dataset: its record, parsed items, checksum and origin."""

    record: DatasetRecord
    data: Any  # WordPairs | AnalogySet | ContextPairs
    sha256: str
    files: list[Path]
    origin: str  # data_dir | cache | gensim | download | user

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def kind(self) -> str:
        return self.record.kind

    def __len__(self) -> int:
        return len(self.data)


def _validate_task(name: str, task: Any, where: str) -> Any:
    """A task is a :class:`DatasetRecord`, a :class:`forge.bench.DatasetTask` (a record with the class of its
    kind) or an object with ``evaluate`` (:class:`forge.bench.Task`)."""
    if isinstance(task, DatasetTask):
        if getattr(task.record, "kind", None) != task.kind:
            raise PluginError(
                f"{where}: its record says kind={getattr(task.record, 'kind', None)!r} but it is a "
                f"{type(task).__name__} (kind {task.kind!r}); make them agree."
            )
        if task.kind not in _KINDS:  # so that Report.compare finds the kind's paired test
            _KINDS.register(task.kind, type(task))
        return task
    if isinstance(task, DatasetRecord) or callable(getattr(task, "evaluate", None)):
        return task
    raise PluginError(
        f"{where} must be a forge.bench.DatasetRecord or a task with an evaluate(encoders, seed=) method, got {task!r}."
    )


# every benchmark task by name: the dataset records below, the user's, plugins' and the lab's probes
# ([project.entry-points."forge.tasks"]); see forge._catalogue for the overwrite policy
_REGISTRY = Registry("dataset", group="forge.tasks", validate=_validate_task)


def _records() -> dict[str, DatasetRecord]:
    """The registered dataset records (tasks that are data files), in registration order."""
    return {
        e.name: e.target.record if isinstance(e.target, DatasetTask) else e.target
        for e in _REGISTRY.entries()
        if e.resolved and isinstance(e.target, (DatasetRecord, DatasetTask))
    }


_GH = "https://raw.githubusercontent.com/"
_W2GM = _GH + "benathi/word2gm/56bda7d964b2eede9b0280e7b9a3b9cdbb06fa38/evaluation_data/"
_FARUQUI = _GH + "mfaruqui/eval-word-vectors/94b3dd9fdbac7ed08dbee7179cd5ee464acf0594/data/word-sim/"
_SEMATCH = _GH + "gsi-upm/sematch/1bb603c852d2e146a9257070989bae34e6496ffc/sematch/eval-datasets/lexical/"
_VECTO = _GH + "vecto-ai/word-benchmarks/9b61d0e067e2e68af22160d09450f82d9544cd70/word-analogy/monolingual/en/"
_WIC = _GH + "Wenxin-Jiang/CS577-NLP/17fb8ca981698024599b423ad140f1ac36608529/HW2/WiC_dataset/"
_SEWRL = _GH + "thunlp/SE-WRL/3f5d7fec23ad49e252457614f665bf257bccbc00/datasets/"
_CWV = _GH + "Embedding/Chinese-Word-Vectors/3096a475f79f218dde7b413dcc6b507d302b7f46/testsets/"
_GWE = _GH + "ray1007/GWE/b5c62fcd/data/"
_TW = _GH + "play0137/Traditional_Chinese_word_embedding/38e1de0eb156c09f73ba2804b7c60a8f54e800a7/evaluation/testsets/"

_SHA = {
    "wordsim353/combined.tab": "1edf400ed472e796b3be562cf7970b10d749a07874a96ddc77e75fd1006b446c",
    "wordsim353_sim_rel/EN-WS-353-REL.txt": "66a7c88100624d0a391605ff61ce84e11d11ee620d51ec0298da49592838f8fa",
    "wordsim353_sim_rel/EN-WS-353-SIM.txt": "f1da938998863c94e53f72f984a5c6e215f0b46c323aae8f0f4930703a339107",
    "simlex999/SimLex-999.txt": "ca00ff8515a36cde32d13c2b83def23f5a167b67db93ebfcfb7dae039ba22c0b",
    "men/MEN_dataset_natural_form_full": "4596e169dd237228ca7701dde33585ca93263506ce7fca9de0f951aaab1aae36",
    "rw/EN-RW-STANFORD.txt": "5108d54dfc746f44f9c3d7e31d2857c37cf71430bc1594175a61a3b89bb0ae1f",
    "mturk287/Mtruk.csv": "ad3e3171c4c5568b84075875f42f0788800bd5edbef8599c2b777a5770c1836f",
    "rg65/EN-RG-65.txt": "c243f3a91c3f5d8cf67f21a67f6fb80bde8b6bb060851a6a48e6f2d68ec98c9f",
    "mc30/EN-MC-30.txt": "33ee05911496ff83d95cac351d0746c6f63b9181b605cb7d307f4daa8864511b",
    "simverb3500/SimVerb-3500.txt": "b58f68454cf9354b94ecd8bfd778ff2cc784a25fc7dca02bc695319ad2b4157e",
    "google_analogy/questions-words.txt": "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
    "google_analogy/questions-phrases.txt": "55cfc0894d0fe6cf974d106da3e09b5fb2fa6125b6ddc633d06e298dc5aa7901",
    "msr_analogy/msr.csv": "1f20d6f2ff22bcc6cb03148ac39c82cf9327befa4c15bb034a44ac91a74f1d44",
    "semeval2012_task2/semeval.csv": "ccd643ed3363e9381734639a1fa899aa66cfe3349e29164a9b350b4c45cb12d8",
    # the 40 BATS relation files, as one digest (see _digest; per-file digests in _checksums.BATS_3_0)
    "bats_3.0": "ae28cc493f6d38de4349621064824df8f71fad8d53608d74687cae9aa2a7de6d",
    "scws/ratings.txt": "b371cee6142e6be9fad9129a2b6cc7e3b945b7bc931b355051043fb438c16000",
    "wic/train/train.data.txt": "3a56ff8285ca9703d6c91dfb7cc79760171899c560bb6a8698fa4559a71b160d",
    "wic/train/train.gold.txt": "3f614ca12c03a90fecc34471d8ae666f924a3c657b5620fcfb46d9b2b50bb7b2",
    "wic/dev/dev.data.txt": "1c360246ffa3904fc1d8f6f16bb7ae0d7980a1a27e9200e9b43c32fd35af11e7",
    "wic/dev/dev.gold.txt": "665ee959c2cf7db2a4255b7a049bdfa165b970482145cfd2ac456007d4dcf1d6",
    "wic/test/test.data.txt": "28befe601f5bdbc8e452e9538f6d3582a164647ad5949a9808a74908e70031f7",
    "wic/test/test.gold.txt": "a69386c579762d9ddf988a61896a2e912f402410185f5e8316007093799b341f",
    "zh_wordsim240/wordsim-240.txt": "b222ba1eeb454199fa1dfad6b74691d73bdf91f6b1468113f5ae499b4e19c4e4",
    "zh_wordsim297/wordsim-297.txt": "d2e7a4b162e79ef619b0c57c3019adf3d1ae1d12fe3ca11e9a86e4e0df879664",
    "zh_analogy_chen2015/analogy.txt": "141a58c1e46d9c702734f2c170ef6e6b4c538dac096a32b8bf4cec54fc400c63",
    "zh_ca8/CA8/morphological.txt": "ed47740c28d5ce052f205e7ffff8e28dfefe451fcd39867bbe98ef710cc6bf4f",
    "zh_ca8/CA8/semantic.txt": "aed64568e6350ce08f7b9e4af2bd8aadd7ff0498b812cd94c660638ed8ad1f4a",
    "zh_ca8/CA_translated/ca_translated.txt": "94919a535ed2e0682e6ad12f7508b2aac9b11d0fa048999ec85b9723c0f0aef5",
    "zh_trad_gwe/240_trad.txt": "b3389adf4b46fd52a5a4e99230b8ef113e583f3eaf82190ec01d757e49a1de6b",
    "zh_trad_gwe/297_trad.txt": "2aeafc60675510e40b9db2fcb830d5a7602aabd84cec9c9b652819708a8d3363",
    "zh_trad_gwe/SimLex-999_translated.txt": "9fd22bf0ec199e00aa66d407eec6c81eb582b0c9ff2ccbf9838a83787092eba9",
    "zh_trad_gwe/analogy_trad.txt": "15600ad28dd7b8c68315119b2b2322c7688bb9cca986974eed282d99c04437a1",
    "zh_tw_chen_ma_2018/zh_tw_PKU500.txt": "c3c6000d7330d0d549b30c42740f390da3699961267eb022f35b65a624c47989",
    "zh_tw_chen_ma_2018/zh_tw_SimLex-999.txt": "2f235c0d93f0ce7f2a58b9f539e7c6191766574d8588b1bdc882f3120c0d0479",
    "zh_tw_chen_ma_2018/zh_tw_bruni_men.txt": "ea80aadaaec06c052934539e4f20a0965b3e926a394b3a576f95428a4f138d42",
    "zh_tw_chen_ma_2018/zh_tw_radinsky_mturk.txt": "dd7555232435148d9ece0394f375414bcf8a182b04b1f1b5d4a02e8e584ae53b",
    "zh_tw_chen_ma_2018/zh_tw_ws353.txt": "8e7c52bd485dac0a2222e4055077a6385be4fbf08fb1e7c371af82f9ebd92aa4",
    "zh_tw_chen_ma_2018/zh_tw_ws353_relatedness.txt": "4a2b2c205bfe9a6bd1819d9dd02bd44e348ce11863265ba574a6a9f3fe209122",
    "zh_tw_chen_ma_2018/zh_tw_ws353_similarity.txt": "d1a10760da21cfadc01ed0b5decd3e07c2b6e3b9e1e0938cac422016fa9c799d",
    "zh_tw_chen_ma_2018/zh_wordsim240.txt": "8661da8e0ec72de3a8c7a011ed5750d3eee74cc41c4345b6d822d06edac66569",
}


def _builtin(
    name: str,
    format: str,
    files: tuple[str, ...] | str,
    urls: tuple[str, ...] | str = (),
    *,
    language: str = "en",
    **kw: Any,
) -> None:
    files = (files,) if isinstance(files, str) else files
    urls = (urls,) if isinstance(urls, str) else urls
    _REGISTRY.register(
        name,
        DatasetRecord(
            name=name,
            kind=FORMATS[format],
            language=language,
            format=format,
            files=files,
            sha256={f: _SHA.get(f) for f in files},
            urls=dict(zip(files, urls)),
            **kw,
        ),
        builtin=True,
    )


_WS_CITE = "Finkelstein et al. (2002) Placing Search in Context: The Concept Revisited, ACM TOIS 20(1)"
_AGIRRE = (
    "Agirre et al. (2009) A Study on Similarity and Relatedness Using Distributional and "
    "WordNet-based Approaches, NAACL-HLT"
)
_SIMLEX = "Hill, Reichart, Korhonen (2015) SimLex-999, Computational Linguistics 41(4)"
_MEN = "Bruni, Tran, Baroni (2014) Multimodal Distributional Semantics, JAIR 49"
_MTURK = "Radinsky et al. (2011) A Word at a Time, WWW"
_GOOGLE = "Mikolov, Chen, Corrado, Dean (2013) Efficient Estimation of Word Representations in Vector Space"
_CHEN15 = "Chen, Xu, Liu, Sun, Luan (2015) Joint Learning of Character and Word Embeddings, IJCAI"
_GWE_C = "Su, Lee (2017) Learning Chinese Word Representations From Glyphs Of Characters, EMNLP"
_TW_C = "Chen, Ma (2018) Word Embedding Evaluation Datasets and Wikipedia Title Embedding for Chinese, LREC"

_builtin(
    "wordsim353",
    "pairs",
    "wordsim353/combined.tab",
    _W2GM + "wordsim353/combined.tab",
    scale=(0, 10),
    citation=_WS_CITE,
    description="WordSim-353 combined, 353 pairs (relatedness and similarity mixed)",
    gensim_file="wordsim353.tsv",
    gensim_sha256="f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
)
_builtin(
    "wordsim353-sim",
    "pairs",
    "wordsim353_sim_rel/EN-WS-353-SIM.txt",
    _FARUQUI + "EN-WS-353-SIM.txt",
    scale=(0, 10),
    citation=_AGIRRE,
    description="WordSim-353 similarity split, 203 pairs",
)
_builtin(
    "wordsim353-rel",
    "pairs",
    "wordsim353_sim_rel/EN-WS-353-REL.txt",
    _FARUQUI + "EN-WS-353-REL.txt",
    scale=(0, 10),
    citation=_AGIRRE,
    description="WordSim-353 relatedness split, 252 pairs",
)
_builtin(
    "simlex999",
    "pairs",
    "simlex999/SimLex-999.txt",
    _W2GM + "SimLex-999/SimLex-999.txt",
    options={"score_col": 3},
    scale=(0, 10),
    citation=_SIMLEX,
    description="SimLex-999, 999 pairs",
    gensim_file="simlex999.txt",
    gensim_sha256="d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
    gensim_options={"score_col": 2},
)
_builtin(
    "men",
    "pairs",
    "men/MEN_dataset_natural_form_full",
    _W2GM + "MEN/MEN_dataset_natural_form_full",
    scale=(0, 50),
    citation=_MEN,
    licence="CC BY 2.0 (licence.txt)",
    description="MEN natural form, 3000 pairs",
)
_builtin(
    "rw",
    "pairs",
    "rw/EN-RW-STANFORD.txt",
    _FARUQUI + "EN-RW-STANFORD.txt",
    scale=(0, 10),
    citation="Luong, Socher, Manning (2013) Better Word Representations with Recursive Neural Networks "
    "for Morphology, CoNLL",
    description="Stanford Rare Words, 2034 pairs",
)
_builtin(
    "mturk287",
    "pairs",
    "mturk287/Mtruk.csv",
    _SEMATCH + "Mtruk.csv",
    scale=(1, 5),
    citation=_MTURK,
    description="MTurk-287, 287 pairs",
)
_builtin(
    "rg65",
    "pairs",
    "rg65/EN-RG-65.txt",
    _FARUQUI + "EN-RG-65.txt",
    scale=(0, 4),
    citation="Rubenstein, Goodenough (1965) Contextual Correlates of Synonymy, CACM 8(10)",
    description="RG-65, 65 pairs (this copy has 'chord smile' for the paper's 'cord smile')",
)
_builtin(
    "mc30",
    "pairs",
    "mc30/EN-MC-30.txt",
    _FARUQUI + "EN-MC-30.txt",
    scale=(0, 4),
    citation="Miller, Charles (1991) Contextual Correlates of Semantic Similarity",
    description="MC-30, 30 pairs",
)
_builtin(
    "simverb3500",
    "pairs",
    "simverb3500/SimVerb-3500.txt",
    _W2GM + "simverb/data/SimVerb-3500.txt",
    options={"score_col": 3},
    scale=(0, 10),
    citation="Gerz et al. (2016) SimVerb-3500: A Large-Scale Evaluation Set of Verb Similarity, EMNLP",
    description="SimVerb-3500, 3500 verb pairs",
)
_builtin(
    "google-analogy",
    "google",
    "google_analogy/questions-words.txt",
    _GH + "tmikolov/word2vec/20c129af10659f7c50e86e3be406df663beff438/questions-words.txt",
    citation=_GOOGLE,
    licence="host repo Apache-2.0",
    gensim_file="questions-words.txt",
    gensim_sha256=_SHA["google_analogy/questions-words.txt"],
    description="Google analogy, 19544 questions in 14 sections",
)
_builtin(
    "google-phrases",
    "google",
    "google_analogy/questions-phrases.txt",
    _GH + "tmikolov/word2vec/20c129af10659f7c50e86e3be406df663beff438/questions-phrases.txt",
    citation="Mikolov et al. (2013) Distributed Representations of Words and Phrases, NIPS",
    licence="host repo Apache-2.0",
    description="Google phrase analogies (words joined by _), 3218 questions",
)
_builtin(
    "msr-analogy",
    "csv-analogy",
    "msr_analogy/msr.csv",
    _VECTO + "msr.csv",
    citation="Mikolov, Yih, Zweig (2013) Linguistic Regularities in Continuous Space Word Representations",
    description="MSR syntactic analogies (vecto CSV conversion), 8000 questions",
)
_builtin(
    "bats",
    "bats",
    "bats_3.0",
    citation="Gladkova, Drozd, Matsuoka (2016) Analogy-based detection of morphological and semantic "
    "relations with word embeddings, NAACL-HLT SRW",
    description="BATS 3.0, 40 relations x 50 pairs, every pair of pairs within a relation (98000 questions); "
    "no download source: put the folder in the data directory",
)
_builtin(
    "semeval2012",
    "csv-analogy",
    "semeval2012_task2/semeval.csv",
    _VECTO + "semeval.csv",
    citation="Jurgens, Mohammad, Turney, Holyoak (2012) SemEval-2012 Task 2: Measuring Degrees of "
    "Relational Similarity",
    description="SemEval-2012 task 2 as analogy questions (vecto conversion, 10014 questions, 79 "
    "subcategories); NOT the original MaxDiff protocol, whose ratings are not in this file",
)
_builtin(
    "scws",
    "scws",
    "scws/ratings.txt",
    _W2GM + "ehuang_sim_wcontext/SCWS/ratings.txt",
    scale=(0, 10),
    citation="Huang, Socher, Manning, Ng (2012) Improving Word Representations via Global Context and "
    "Multiple Word Prototypes, ACL",
    description="SCWS, 2003 word pairs in context",
)
_WIC_FILES = tuple(f"wic/{s}/{s}.{part}.txt" for s in ("train", "dev", "test") for part in ("data", "gold"))
_builtin(
    "wic",
    "wic",
    _WIC_FILES,
    tuple(_WIC + f[4:] for f in _WIC_FILES),
    citation="Pilehvar, Camacho-Collados (2019) WiC: the Word-in-Context Dataset, NAACL",
    licence="not stated in the package (CC BY-NC 4.0 reported for the official site)",
    description="WiC, train 5428 / dev 638 / test 1400",
)
_builtin(
    "zh_wordsim240",
    "pairs",
    "zh_wordsim240/wordsim-240.txt",
    _SEWRL + "wordsim-240.txt",
    language="zh",
    script="simplified",
    scale=(0, 10),
    citation="Wang Xiang et al. (2011); used by " + _CHEN15,
    description="Chinese wordsim-240 (relatedness)",
)
_builtin(
    "zh_wordsim297",
    "pairs",
    "zh_wordsim297/wordsim-297.txt",
    _SEWRL + "wordsim-297.txt",
    language="zh",
    script="simplified",
    scale=(0, 5),
    citation="Jin, Wu (2012) SemEval-2012 Task 4: Evaluating Chinese Word Similarity",
    description="Chinese wordsim-297",
)
_builtin(
    "zh_analogy_chen2015",
    "google",
    "zh_analogy_chen2015/analogy.txt",
    _SEWRL + "analogy.txt",
    language="zh",
    script="simplified",
    citation=_CHEN15,
    description="Chinese analogy, 1124 questions",
)
_builtin(
    "zh_ca8",
    "google",
    ("zh_ca8/CA8/morphological.txt", "zh_ca8/CA8/semantic.txt"),
    (_CWV + "CA8/morphological.txt", _CWV + "CA8/semantic.txt"),
    language="zh",
    script="simplified",
    licence="host repo Apache-2.0",
    citation="Li et al. (2018) Analogical Reasoning on Chinese Morphological and Semantic Relations, ACL",
    description="CA8 morphological (10177) + semantic (7636) analogies",
)
_builtin(
    "zh_ca_translated",
    "google",
    "zh_ca8/CA_translated/ca_translated.txt",
    _CWV + "CA_translated/ca_translated.txt",
    language="zh",
    script="simplified",
    citation=_CHEN15,
    licence="host repo Apache-2.0",
    description="CA_translated, 953-question subset of Chen et al. (2015)",
)
for _name, _file, _scale, _desc in [
    ("zh_trad_gwe_simlex999", "SimLex-999_translated.txt", (0, 10), "SimLex-999 in Traditional Chinese"),
    ("zh_trad_gwe_wordsim240", "240_trad.txt", (0, 10), "wordsim-240 in Traditional Chinese"),
    ("zh_trad_gwe_wordsim297", "297_trad.txt", (0, 5), "wordsim-297 in Traditional Chinese"),
]:
    _builtin(
        _name,
        "pairs",
        "zh_trad_gwe/" + _file,
        _GWE + _file,
        language="zh",
        script="traditional",
        scale=_scale,
        citation=_GWE_C,
        description=_desc + " (GWE)",
    )
_builtin(
    "zh_trad_gwe_analogy",
    "google",
    "zh_trad_gwe/analogy_trad.txt",
    _GWE + "analogy_trad.txt",
    language="zh",
    script="traditional",
    citation=_GWE_C,
    description="Chen et al. (2015) analogies in Traditional Chinese (GWE), 1124 questions",
)
for _name, _file, _scale in [
    ("zh_tw_pku500", "zh_tw_PKU500.txt", (1, 10)),
    ("zh_tw_simlex999", "zh_tw_SimLex-999.txt", (0, 10)),
    ("zh_tw_men", "zh_tw_bruni_men.txt", (0, 50)),
    ("zh_tw_mturk287", "zh_tw_radinsky_mturk.txt", (1, 5)),
    ("zh_tw_wordsim353", "zh_tw_ws353.txt", (0, 10)),
    ("zh_tw_wordsim353_rel", "zh_tw_ws353_relatedness.txt", (0, 10)),
    ("zh_tw_wordsim353_sim", "zh_tw_ws353_similarity.txt", (0, 10)),
    ("zh_tw_wordsim240", "zh_wordsim240.txt", (0, 10)),
]:
    _builtin(
        _name,
        "pairs",
        "zh_tw_chen_ma_2018/" + _file,
        _TW + _file,
        language="zh",
        script="traditional",
        scale=_scale,
        citation=_TW_C,
        licence="host repo CC BY-SA 4.0",
        description=f"{_file} (Chen & Ma 2018, Traditional Chinese)",
    )

# groups usable in place of a name
GROUPS = {
    "zh_trad_gwe": [n for n in _REGISTRY if n.startswith("zh_trad_gwe_")],
    "zh_tw_chen_ma_2018": [n for n in _REGISTRY if n.startswith("zh_tw_")],
}
# the offline default: available from gensim's test data on every install
DEFAULT_DATASETS = ("wordsim353", "simlex999", "google-analogy")


# ------------------------------------------------------------------ public
def list_datasets(kind: str | None = None, language: str | None = None) -> dict[str, str]:
    """``{name: description}`` of the registered datasets, optionally filtered.

    Examples
    --------
    >>> from forge.bench import list_datasets
    >>> "simlex999" in list_datasets(kind="similarity")
    True
    """
    return {
        n: r.description
        for n, r in sorted(_records().items())
        if (kind is None or r.kind == kind) and (language is None or r.language == language)
    }


def get_task(name: str) -> Any:
    """The task registered under ``name``: a :class:`DatasetRecord`, or a task object (a lab probe, a plugin's)."""
    if name not in _REGISTRY:
        raise UnknownNameError("dataset", name, _REGISTRY.names() + list(GROUPS))
    return _REGISTRY.get(name)


def list_tasks() -> list[str]:
    """Every task name: the datasets, the lab's probes and plugins' tasks (nothing is imported)."""
    return _REGISTRY.names()


def register_task(name: str, task: Any, *, overwrite: bool = False) -> Any:
    """Register a task that evaluates encoders itself (a :class:`forge.bench.Task`) under ``name``.

    Data-file datasets go through :func:`register_dataset`; packages add tasks
    without being imported by ``forge.bench`` through the ``forge.tasks``
    entry-point group. A built-in name is never replaced; another taken name
    only with ``overwrite=True``.
    """
    if name in GROUPS or name == "all":
        raise BadInputError(f"{name!r} is reserved (a dataset group); pick another name.")
    return _REGISTRY.register(name, task, overwrite=overwrite)


def get_record(name: str) -> DatasetRecord:
    """The :class:`DatasetRecord` of dataset ``name`` (a task object's own record, for a dataset task)."""
    record = get_task(name)
    if isinstance(record, DatasetTask):
        return record.record
    if not isinstance(record, DatasetRecord):
        raise BadInputError(
            f"{name!r} is a {getattr(record, 'kind', 'task')} task, not a dataset file; "
            f"run it with forge.bench.run(encoders, [{name!r}])."
        )
    return record


def expand_names(names: str | list[str]) -> list[str]:
    """Resolve ``"all"`` (every dataset record), group names and single task names (validated)."""
    if isinstance(names, str):
        names = list(_records()) if names == "all" else [n.strip() for n in names.split(",") if n.strip()]
    out: list[str] = []
    for name in names:
        for n in list(_records()) if name == "all" else GROUPS.get(name, [name]):
            if n not in _REGISTRY:
                raise UnknownNameError("dataset", n, _REGISTRY.names() + list(GROUPS))
            if n not in out:
                out.append(n)
    return out


def register_dataset(
    name: str,
    path: str | Path,
    format: str = "pairs",
    *,
    language: str = "en",
    sha256: str | Mapping[str, str] | None = None,
    scale: tuple[float, float] | None = None,
    citation: str = "",
    licence: str = "user data",
    description: str = "",
    script: str | None = None,
    transform: Callable[[str], str] | None = None,
    overwrite: bool = False,
    **options: Any,
) -> DatasetRecord:
    """Register your own dataset file (or directory, for ``bats`` and ``wic``) in one call.

    ``format`` is one of :data:`FORMATS`; ``options`` go to the parser (e.g.
    ``sep=","``, ``score_col=3``, ``duplicates="mean"`` for ``pairs``; ``encoding``
    for every format) and are checked here.

    ``sha256`` pins the data; :func:`load_dataset` refuses files that differ. It is
    the dataset digest that ``load_dataset(name).sha256`` and the report protocol
    show: for one file its ``sha256sum``; for a ``bats`` folder the digest of its
    ``*.txt`` files; for a ``wic`` folder the digest of its six files. Upper case
    and a ``sha256:`` prefix are accepted. For a folder format it may instead be a
    mapping ``{path relative to the folder: sha256}`` of every file; a mismatch then
    names the changed, missing or added file.

    Examples
    --------
    >>> import tempfile, os
    >>> from pathlib import Path
    >>> from forge.bench import register_dataset, load_dataset
    >>> p = os.path.join(tempfile.mkdtemp(), "mine.txt")
    >>> _ = Path(p).write_bytes(b"cat dog 3.5\\ncar bus 2.0\\n")
    >>> _ = register_dataset("my-pairs", p, overwrite=True)
    >>> len(load_dataset("my-pairs"))
    2
    """
    if format not in FORMATS:
        raise UnknownNameError("dataset format", format, FORMATS)
    _check_user_record(name, path, scale, transform)
    if name in _REGISTRY and not overwrite:
        raise BadInputError(
            f"A dataset named {name!r} is already registered; pick another name or pass overwrite=True."
        )
    if name in _REGISTRY and _REGISTRY.entry(name).builtin:
        raise BadInputError(f"{name!r} is a built-in dataset and cannot be replaced; pick another name.")
    if name in GROUPS or name == "all":
        raise BadInputError(f"{name!r} is reserved (a dataset group); pick another name.")
    _check_options(format, options)
    try:
        path = Path(path).expanduser().resolve()
        exists = path.exists()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11-3.12)
        raise BadInputError(
            f"Cannot register dataset {name!r}: {path} cannot be resolved ({exc}); "
            f"check for a symlink loop or a broken link."
        ) from None
    if not exists:
        raise BadInputError(f"Cannot register dataset {name!r}: {path} does not exist.")
    files = get_format(format).files_of(path)
    shas, digest = _user_checksums(format, path, files, sha256)
    record = DatasetRecord(
        name=name,
        kind=FORMATS[format],
        language=language,
        format=format,
        files=files,
        sha256=shas,
        options=options,
        digest=digest,
        scale=scale,
        citation=citation,
        licence=licence,
        description=description or str(path),
        script=script,
        transform=transform,
        user=True,
    )
    _REGISTRY.register(name, record, overwrite=overwrite)
    return record


def _check_user_record(name: object, path: object, scale: object, transform: object) -> None:
    """The arguments of :func:`register_dataset` that are not parser options."""
    if not isinstance(name, str) or not name.strip() or name != name.strip() or "," in name:
        raise BadInputError(
            f"Dataset name {name!r} is not valid; give a non-empty str without commas or "
            f"surrounding spaces (names are listed comma-separated, e.g. 'men,my-set')."
        )
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise BadInputError(f"Cannot register dataset {name!r}: path={path!r} is not a file or folder path.")
    if scale is not None:
        low, high = scale if isinstance(scale, (tuple, list)) and len(scale) == 2 else (np.nan, np.nan)
        if (
            not all(isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in (low, high))
            or low >= high
        ):
            raise BadInputError(f"scale={scale!r} is not valid; give (low, high) with low < high, e.g. (0, 10).")
    if transform is not None and not callable(transform):
        raise BadInputError(f"transform={transform!r} is not callable; give a str -> str function or None.")


def _check_options(format: str, options: dict[str, Any]) -> None:
    """Parser options of a user dataset: known names (for the parser of ``format``) and valid values."""
    fmt = get_format(format)
    if fmt.parser is not None:
        allowed = [p for p in inspect.signature(fmt.parser).parameters if p not in fmt.fixed]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise BadInputError(
                f"Unknown option(s) {', '.join(map(repr, unknown))} for format {format!r}; "
                f"its parser accepts {', '.join(allowed)}."
            )
    P.check_encoding(options.get("encoding", "utf-8"))
    if fmt.check is not None:
        fmt.check(options)


def _user_checksums(
    format: str, path: Path, files: tuple[str, ...], sha256: str | Mapping[str, str] | None
) -> tuple[dict[str, str | None], str | None]:
    """``(per-file sha256, whole-dataset digest)`` for a user record from ``register_dataset(sha256=...)``."""
    if sha256 is None:
        return {}, None
    if isinstance(sha256, Mapping):
        if get_format(format).folder:
            return {files[0]: C.remember_folder(sha256)}, None
        if len(files) > 1:
            rels = [Path(f).relative_to(path).as_posix() for f in files]
            given = {Path(str(k)).as_posix(): v for k, v in sha256.items()}
            if set(given) != set(rels):
                raise BadInputError(
                    f"sha256 for a {format} folder must give exactly the files {', '.join(rels)}; "
                    f"got {', '.join(sorted(given)) or 'none'}."
                )
            return {f: C.normalise_sha256(given[rel], f"sha256[{rel!r}]") for f, rel in zip(files, rels)}, None
        raise BadInputError(f"sha256 for a single-file dataset ({format!r}) must be one digest, not a mapping.")
    digest = C.normalise_sha256(sha256)
    if len(files) == 1:
        return {files[0]: digest}, None
    return {}, digest


def unregister_dataset(name: str) -> None:
    """Remove a dataset registered with :func:`register_dataset`."""
    record = get_record(name)
    if not record.user:
        raise BadInputError(f"{name!r} is a built-in dataset and cannot be removed.")
    _REGISTRY.unregister(name)


def available_datasets(names: str | list[str] = "all") -> tuple[list[str], dict[str, str]]:
    """Split ``names`` into those loadable without a download and ``{name: why not}`` for the rest."""
    ok, missing = [], {}
    for name in expand_names(names):
        where = _locate(get_record(name))
        if where is None:
            missing[name] = _missing_message(get_record(name))
        else:
            ok.append(name)
    return ok, missing


def load_dataset(name: str, download: bool = False, transform: Callable[[str], str] | None = None) -> Dataset:
    """Load, verify and parse a dataset (resolution order in the module docstring).

    ``transform`` (e.g. a script converter) overrides the record's own.

    Examples
    --------
    >>> from forge.bench import load_dataset
    >>> ds = load_dataset("google-analogy")      # from FORGE_DATA_DIR, else gensim's copy
    >>> len(ds), ds.kind
    (19544, 'analogy')
    """
    return load_record(get_record(name), download=download, transform=transform)


def load_record(
    record: DatasetRecord, download: bool = False, transform: Callable[[str], str] | None = None
) -> Dataset:
    """Load, verify and parse the files of ``record`` (what :func:`load_dataset` does for a name)."""
    where = _locate(record)
    if where is None:
        if not download or not record.urls or len(record.urls) != len(record.files):
            raise MissingDataError(_missing_message(record))
        where = _download(record)
    paths, origin, shas, options = where
    digest = _verify(record, paths, shas)
    if record.digest is not None and digest != record.digest:
        raise BadInputError(
            f"Checksum mismatch for dataset {record.name!r}: its files ({', '.join(map(str, paths))}) have the "
            f"dataset digest {digest}, expected {record.digest}. Their current sha256: "
            + "; ".join(f"{p.name} {_digest(p)}" for p in paths)
            + ". Restore the original files, or register the dataset again with the new digest (or a "
            "per-file mapping, to be told which file changed)."
        )
    data = get_format(record.format).parse(paths, {**record.options, **options})
    fn = transform or record.transform
    if fn is not None:
        data = get_task_kind(record.kind).transform(data, fn)
    return Dataset(record, data, digest, paths, origin)


set_record_loader(load_record)


# ----------------------------------------------------------------- internals
def _locate(record: DatasetRecord):
    """``(paths, origin, expected sha256 per path, parser options)`` or None."""
    if record.user:
        paths = [Path(f) for f in record.files]
        if all(p.exists() for p in paths):
            return paths, "user", [record.sha256.get(f) for f in record.files], {}
        return None
    roots = [(data_dir(), "data_dir"), (cache_dir() / "datasets", "cache")]
    for root, origin in roots:
        if root is None:
            continue
        paths = [root / f for f in record.files]
        if all(p.exists() for p in paths):
            return paths, origin, [record.sha256.get(f) for f in record.files], {}
    if record.gensim_file:
        from gensim.test.utils import datapath  # lazy: gensim takes about a second to import; only this path needs it

        path = Path(datapath(record.gensim_file))
        if path.exists():
            return [path], "gensim", [record.gensim_sha256], record.gensim_options
    return None


def _missing_message(record: DatasetRecord) -> str:
    where = data_dir()
    hint = f"FORGE_DATA_DIR={where} has no {record.files[0]}" if where else "FORGE_DATA_DIR is not set"
    dl = " or pass download=True (forge bench --download) to fetch it" if record.urls else ""
    return (
        f"Dataset {record.name!r} is not available offline: {hint}, and the cache "
        f"{cache_dir() / 'datasets'} does not hold it. Put {', '.join(record.files)} under the data "
        f"directory (layout of shared/datasets){dl}."
    )


def _digest(path: Path) -> str:
    """sha256 of a file; for a directory, of the ``sha256  relpath`` lines of its *.txt files."""
    try:
        if path.is_dir():
            return C.folder_digest(C.folder_files(path))
        return C.sha256_file(path)
    except OSError as exc:
        raise BadInputError(f"Cannot read {path} to check its sha256: {exc.strerror or exc}.") from None


def _verify(record: DatasetRecord, paths: list[Path], expected: list[str | None]) -> str:
    actual = []
    for path, want in zip(paths, expected):
        got = _digest(path)
        if want is not None and got != want:
            which = C.explain_folder_mismatch(want, C.folder_files(path)) if path.is_dir() else ""
            raise BadInputError(
                f"Checksum mismatch for dataset {record.name!r}: {path} has sha256 {got}, expected {want}.{which} "
                f"The {'folder' if path.is_dir() else 'file'} is corrupt, truncated or a different version; "
                f"replace it with the original (see the dataset manifest) or delete it so that it can be "
                f"downloaded again."
            )
        actual.append(got)
    if len(actual) == 1:
        return actual[0]
    return hashlib.sha256("".join(f"{s}  {p.name}\n" for s, p in zip(actual, paths)).encode()).hexdigest()


def _download(record: DatasetRecord):
    import pooch  # lazy: pooch is needed only to download

    root = cache_dir() / "datasets"
    paths = []
    for rel in record.files:
        target = root / rel
        sha = record.sha256.get(rel)
        try:
            pooch.retrieve(
                record.urls[rel],
                known_hash=f"sha256:{sha}" if sha else None,
                path=target.parent,
                fname=target.name,
                progressbar=False,
            )
        except ValueError as exc:  # pooch's hash mismatch
            raise BadInputError(
                f"Download of {record.urls[rel]} for dataset {record.name!r} was refused: {exc}"
            ) from None
        except Exception as exc:
            raise MissingDataError(
                f"Could not download {record.urls[rel]} for dataset {record.name!r} "
                f"({type(exc).__name__}: {exc}). {_missing_message(record)}"
            ) from None
        paths.append(target)
    return paths, "download", [record.sha256.get(f) for f in record.files], {}
