"""Writes docs/tutorial.ipynb and docs/tutorial.zh.ipynb: one list of code cells, two editions of the prose.

    python docs/make_tutorial.py            # the cells only (unchanged code cells keep their last outputs)
    python docs/make_tutorial.py --execute  # and run both (full setting, ~3 min each on 2 cores), keeping outputs

Edit the cells here, not in the notebooks, so both editions keep the same code (tests/test_tutorial.py
checks that they do, and runs the English one in its quick setting).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).parent

# (English prose, Chinese prose, code) per step; prose may be "" when a code cell follows another
CELLS: list[tuple[str, str, str]] = [
    (
        """# From one-hot vectors to LSTMs: the story, measured

This notebook walks the story forge is built around, one step at a time, and measures every claim with
forge's public API instead of asserting it:

1. **one-hot** vectors: one dimension per word, every two words orthogonal;
2. **Word2Vec** (CBOW, skip-gram): dense vectors that put related words close, but one vector per word;
3. averaging static vectors loses **word order**;
4. an **RNN** reads in order; training makes that order useful;
5. a **bidirectional RNN** sees what comes next;
6. an **LSTM** is meant to remember longer than a plain RNN;
7. every RNN must take its steps one after another;
8. and **attention** links any two words in one step, computing all positions at once.

Each claim gets a **verdict** computed from its own numbers (supported / not supported / mixed at this
budget), with the rule that produced it. With small models on a small corpus some claims do not hold:
the verdict says so, and that is part of the lesson.

Everything runs offline on a 2-core CPU in a few minutes (about 3 on our 2-core machine shared with other jobs). With `FORGE_TUTORIAL_QUICK=1` every size
shrinks (the test suite runs it that way in about a minute); the numbers are then too small to teach
anything, only the code is checked.""",
        """# 从 one-hot 到 LSTM：把故事逐条量出来

这份笔记本一步一步地走过 forge 所围绕的故事，并用 forge 的公开 API 测量每一个论断，而不是直接断言：

1. **one-hot** 向量：每个词一维，任意两个词互相正交；
2. **Word2Vec**（CBOW、skip-gram）：稠密向量让相关的词靠近，但每个词只有一个向量；
3. 对静态词向量取平均会丢掉**词序**；
4. **RNN** 按顺序阅读；训练让顺序变得有用；
5. **双向 RNN** 能看到后文；
6. **LSTM** 本应比普通 RNN 记得更久；
7. 任何 RNN 都必须一步接一步地计算；
8. 而**注意力**一步就能连接任意两个词，并同时计算所有位置。

每个论断都会得到一个由它自己的数字计算出的**结论**（supported 成立 / not supported 不成立 /
mixed at this budget 在此预算下不确定），并附上产生结论的规则。模型小、语料小的时候，有些论断并不成立：
结论会如实说明，这本身也是课程的一部分。

全部内容可离线运行，在 2 核 CPU 上只需几分钟（在我们与其他任务共用的 2 核机器上约 3 分钟）。设置 `FORGE_TUTORIAL_QUICK=1` 时所有规模都会缩小
（测试套件就是这样运行它的，约一分钟）；此时数字太小，说明不了什么，只检查代码能否运行。""",
        """import os
import time
import warnings
from itertools import islice

from IPython.display import Image, display

import forge
from forge.lab import ProbeOptions, run_probes

warnings.filterwarnings("ignore", message="IProgress not found")   # tqdm in a notebook without ipywidgets
QUICK = os.environ.get("FORGE_TUTORIAL_QUICK") == "1"
SIZE = {   # full: the numbers mean something (about 3 min on 2 cores); quick: only checks that the code runs
    "sentences": 1500 if QUICK else None,            # None: the whole gensim-default corpus (~0.5M words)
    "cbow_epochs": 3 if QUICK else 20, "skipgram_epochs": 2 if QUICK else 10, "dim": 32 if QUICK else 100,
    "rnn_tokens": 3000 if QUICK else 40000, "hidden": 16 if QUICK else 64,
    "recall_steps": 20 if QUICK else None,           # None: the probe's quick default (250 Adam steps per gap)
}
OPTIONS = ProbeOptions(seed=0, quick=True, benchmarks=False, steps=SIZE["recall_steps"])
start = time.perf_counter()


def show(result, probe):
    \"\"\"The probe's figure, then its verdict and the evidence read from the numbers.\"\"\"
    png = result.figure(probe)
    if png:
        display(Image(png))
    for _, v in result.verdicts().iterrows():
        if v["probe"] == probe:
            print(f"Claim {v['claim']}: {v['verdict'].upper()}\\n  rule: {v['rule']}\\n  evidence: {v['evidence']}")""",
    ),
    (
        """## The corpus

`gensim-default` ships with gensim (the Lee news corpus and a Wikipedia slice, about 0.5M words), so
nothing is downloaded. A corpus is a restartable iterable of token lists.""",
        """## 语料

`gensim-default` 随 gensim 一起安装（Lee 新闻语料和一段维基百科，约 50 万词），无需下载。
语料是一个可以反复遍历的词列表序列。""",
        """corpus = forge.corpora.load("gensim-default")
if SIZE["sentences"]:
    corpus = forge.corpora.ListCorpus(list(islice(corpus, SIZE["sentences"])))
print(sum(len(s) for s in corpus), "tokens; first sentence:", next(iter(corpus))[:12])""",
    ),
    (
        """## 1. One-hot vectors

A one-hot vector has one dimension per vocabulary word and a single 1. forge returns them as SciPy sparse
rows, so a 15,000-word vocabulary costs 12 bytes per token instead of 60 KB.""",
        """## 1. One-hot 向量

One-hot 向量的维数等于词表大小，其中只有一个 1。forge 用 SciPy 稀疏矩阵返回它们，
所以 15000 词的词表每个词元只占 12 字节，而不是 60 KB。""",
        """onehot = forge.create("onehot", min_count=3).fit(corpus)
print("dimension:", onehot.dim)
print("cos(king, queen) =", onehot.similarity("king", "queen") if "queen" in onehot else "(queen not in vocabulary)")
res = run_probes({"onehot": onehot}, ["probe-onehot"], OPTIONS)
show(res, "probe-onehot")""",
    ),
    (
        """## 2. Word2Vec: related words close together

CBOW predicts a word from its neighbours, skip-gram the neighbours from the word; the vectors are a
by-product. On 0.5M words gensim's default 5 epochs leave CBOW *collapsed* (every cosine 0.9-1.0), so
we train longer: 20 epochs for CBOW, 10 for skip-gram, one worker thread so that the result is the same
on every run.""",
        """## 2. Word2Vec：相关的词彼此靠近

CBOW 用上下文预测中心词，skip-gram 用中心词预测上下文；词向量是这个预测任务的副产品。
在 50 万词的语料上，gensim 默认的 5 轮训练会让 CBOW **塌缩**（所有余弦值都在 0.9-1.0 之间），
所以我们训练更久：CBOW 20 轮，skip-gram 10 轮，并只用一个线程，使每次运行结果相同。""",
        """w2v = {"vector_size": SIZE["dim"], "min_count": 3, "workers": 1, "seed": 1, "progress": False}
cbow = forge.create("cbow", epochs=SIZE["cbow_epochs"], **w2v).fit(corpus)
skipgram = forge.create("skipgram", epochs=SIZE["skipgram_epochs"], **w2v).fit(corpus)
for word in ("king", "music", "river"):
    for name, enc in (("cbow", cbow), ("skipgram", skipgram)):
        if word in enc:
            print(f"{word:<6} {name:<9}", ", ".join(f"{w} {s:.2f}" for w, s in enc.most_similar(word, topn=5)))""",
    ),
    (
        """The probe splits the WordSim-353 pairs by human score and compares the mean cosine of the most related
third with the least related third; the claim holds when the gap's bootstrap interval lies above
one-hot's.""",
        """这个探针按人工评分把 WordSim-353 的词对分组，比较最相关三分之一与最不相关三分之一的平均余弦；
当差值的 bootstrap 置信区间高于 one-hot 的差值时，论断成立。""",
        """static = {"onehot": onehot, "cbow": cbow, "skipgram": skipgram}
res = run_probes(static, ["probe-static-similarity"], OPTIONS)
show(res, "probe-static-similarity")""",
    ),
    (
        """And the other side of the coin: a static vector is the same in every sentence, so "apple" the fruit and
"apple" the company get one vector.""",
        """硬币的另一面：静态向量在每个句子里都一样，所以水果"苹果"和公司"苹果"只有同一个向量。""",
        """res = run_probes(static, ["probe-polysemy"], OPTIONS)
show(res, "probe-polysemy")""",
    ),
    (
        """## 3. Averaging loses word order

The classic sentence vector is the mean of its word vectors. Permute the words and the mean is
bit-identical: "我打你" (I hit you) and "你打我" (you hit me) become the same sentence.""",
        """## 3. 取平均会丢掉词序

经典的句向量是词向量的平均。打乱词序后，平均值逐位相同："我打你"和"你打我"变成了同一个句子。""",
        """res = run_probes(static, ["probe-order"], OPTIONS)
show(res, "probe-order")""",
    ),
    (
        """## 4. An RNN reads in order

A recurrent encoder reads left to right and carries a state; its vectors depend on the order even with
random weights. We train small ones on the first tokens of the corpus (plus the lab's example sentences,
so that the probe words are in the vocabulary), and keep an untrained copy of the RNN for comparison.""",
        """## 4. RNN 按顺序阅读

循环编码器从左到右阅读并携带一个状态；即使权重是随机的，它的向量也依赖于顺序。
我们在语料开头的若干词元上（加上实验室的示例句子，使探针用到的词都在词表里）训练几个小模型，
并保留一个未训练的 RNN 作为对照。""",
        """from forge.lab import en_lab_sentences   # the lab's English example sentences (apple, bank, who-did-what...)

head, total = [], 0
for sentence in corpus:
    head.append(sentence[:50])
    total += len(head[-1])
    if total >= SIZE["rnn_tokens"]:
        break
text = head + en_lab_sentences()
rnn_params = {"hidden_size": SIZE["hidden"], "layers": 1, "batch_size": 64, "dropout": 0.0, "validation": 0.0,
              "softmax": "adaptive", "oov": "unk", "device": "cpu", "progress": False, "seed": 0, "max_len": 60}
recurrent = {name: forge.create(name, epochs=1, **rnn_params).fit(text) for name in ("rnn", "birnn", "lstm")}
recurrent["rnn-untrained"] = forge.create("rnn", epochs=0, **rnn_params).fit(text)
print({name: len(enc.vocabulary) for name, enc in recurrent.items()})""",
    ),
    (
        """Who did what to whom? Sentences "the <person> <verb> the <animal>" in both orders; a logistic regression
on the mean-pooled states must say whether the person acts on the animal. Static vectors are at chance by
construction; the structure of an RNN already separates the orders of known words; training should help
with words never seen in the task.""",
        """谁对谁做了什么？句子"the <人> <动词> the <动物>"以两种顺序出现；在平均池化的状态上训练逻辑回归，
判断是不是人对动物做了动作。静态向量按构造只能达到随机水平；RNN 的结构本身就能区分已知词的顺序；
训练应当帮助它处理任务中从未见过的词。""",
        """res = run_probes({**static, **recurrent}, ["probe-order-task"], OPTIONS)
show(res, "probe-order-task")""",
    ),
    (
        """## 5. A bidirectional RNN sees what comes next

"苹果" in "苹果派" (apple pie) and in "苹果手机" (apple phone) has the same left context (nothing): a
left-to-right RNN must give it the same vector; a bidirectional one also reads from the right.""",
        """## 5. 双向 RNN 能看到后文

"苹果派"和"苹果手机"中的"苹果"左侧上下文相同（什么都没有）：从左到右的 RNN 必然给出相同的向量；
双向 RNN 还会从右往左读。""",
        """res = run_probes(recurrent, ["probe-left-context"], OPTIONS)
show(res, "probe-left-context")""",
    ),
    (
        """## 6. Does an LSTM remember longer?

A recall task: a key, k distractors, a query; the model must name the key from its last state. The probe
trains one fresh model per cell and gap with the same budget, and also an LSTM whose forget gate starts
open. Read the verdict: with forge's default initialisation and this small budget the plain RNN may well
win, and the report says so rather than repeating the textbook.""",
        """## 6. LSTM 记得更久吗？

回忆任务：先给一个键，再给 k 个干扰词，最后是查询词；模型要根据最后的状态说出那个键。
探针对每种单元和每个间隔用相同的预算训练一个新模型，另外还训练一个遗忘门初始为打开状态的 LSTM。
请看结论：在 forge 的默认初始化和这么小的预算下，普通 RNN 很可能胜出，报告会如实说明，而不是重复教科书。""",
        """res = run_probes({"rnn": recurrent["rnn"], "lstm": recurrent["lstm"]}, ["probe-long-range"], OPTIONS)
show(res, "probe-long-range")""",
    ),
    (
        """## 7. One step after another

Time per batch against sentence length, for the recurrent layer and for a convolution and a self-attention
layer of the same width.""",
        """## 7. 一步接一步

每批次的耗时随句子长度的变化：循环层，以及同样宽度的卷积层和自注意力层。""",
        """res = run_probes({"rnn": recurrent["rnn"], "lstm": recurrent["lstm"]}, ["probe-speed"], OPTIONS)
show(res, "probe-speed")""",
    ),
    (
        """## 8. Attention: every word at once

The question the story ends on: do we need recurrence at all? A self-attention layer lets every word
look at every other word directly, in one step, and computes all positions at once. forge has two
attention encoders built on the same pipeline as the LSTM: `transformer` (causal, left to right) and
`bitransformer` (a masked LM that sees both sides). We train tiny ones on the same text, then measure
claim 9 beside the recurrent encoders: recall of a key k positions back, the longest chain of operations
that must run one after another (read from the autograd graph), and the time of one layer, against length.""",
        """## 8. 注意力：一次看见所有的词

故事最后的问题：我们到底需不需要循环？自注意力层让每个词一步之内直接看到其他所有的词，并且同时计算所有位置。
forge 有两个注意力编码器，和 LSTM 共用同一条数据与训练流程：`transformer`（因果的，从左到右）和
`bitransformer`（掩码语言模型，能看到两侧）。我们在同样的文本上训练两个很小的模型，然后与循环编码器并排测量论断 9：
回忆 k 个位置之前的键、必须一个接一个执行的最长运算链（从自动求导图中读出），以及单层的耗时随长度的变化。""",
        """attn_params = {k: v for k, v in rnn_params.items() if k not in ("hidden_size", "layers")}
attn_params.update(d_model=SIZE["hidden"], heads=2, ff=2 * SIZE["hidden"], layers=2, tie_weights=False, epochs=1)
attention = {
    "transformer": forge.create("transformer", positions="sinusoidal", **attn_params).fit(text),
    "bitransformer": forge.create("bitransformer", positions="learned", **attn_params).fit(text),
}
res = run_probes({"rnn": recurrent["rnn"], "lstm": recurrent["lstm"], **attention}, ["probe-attention"], OPTIONS)
show(res, "probe-attention")""",
    ),
    (
        """Attention made visible: each head's weights on the lab's example sentences (row: the word that looks;
column: the word it looks at; the causal `transformer` never looks right), and the positional encodings,
the fixed sinusoidal table against the learned one. Each figure has a one-line reading computed from it.
`forge lab` adds the Chinese sentences and a last section, "Do we need recurrence?", with one measured table.""",
        """把注意力画出来：每个注意力头在实验室示例句子上的权重（行：发出注意的词；列：被注意的词；因果的 `transformer`
从不看右边），以及位置编码：固定的正弦表与学出来的表。每张图下面都有一行由图中数字算出的解读。
`forge lab` 还会加上中文句子，以及最后一节"我们还需要循环吗？"，给出一张实测的表格。""",
        """from forge.lab import get_probe

for name, reading, png in get_probe("probe-attention").figures(res.frame):
    display(Image(png))
    print(reading)""",
    ),
    (
        """## What next

* `forge lab` runs every probe on every encoder of the story (English and Chinese) and writes one report
  with all verdicts; `forge lab --corpus text8` (with `FORGE_DATA_DIR`) uses a 17M-word corpus.
* `forge bench --encoders cbow,skipgram --datasets all` scores encoders on the standard benchmarks.""",
        """## 下一步

* `forge lab` 在故事中的所有编码器（英文和中文）上运行每个探针，并写出一份包含所有结论的报告；
  `forge lab --corpus text8`（需设置 `FORGE_DATA_DIR`）使用 1700 万词的语料。
* `forge bench --encoders cbow,skipgram --datasets all` 在标准基准上为编码器打分。""",
        """print(f"tutorial ran in {time.perf_counter() - start:.0f} s ({'quick' if QUICK else 'full'} setting)")""",
    ),
]


def build(lang: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in CELLS:
        if cell[lang]:
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[lang]))
        nb.cells.append(nbformat.v4.new_code_cell(cell[2]))
    for k, cell in enumerate(nb.cells):  # stable ids: the same file on every build
        cell["id"] = f"cell-{k:02d}"
    return nb


def main(argv: list[str]) -> None:
    execute = "--execute" in argv  # also run each notebook (full setting) and keep its outputs and figures
    for lang, name in ((0, "tutorial.ipynb"), (1, "tutorial.zh.ipynb")):
        nb = build(lang)
        if not execute and (HERE / name).is_file():  # unchanged cells keep the outputs of the last execution
            old = {c.source: c for c in nbformat.read(HERE / name, as_version=4).cells if c.cell_type == "code"}
            for cell in nb.cells:
                if cell.cell_type == "code" and cell.source in old:
                    cell.outputs = old[cell.source].get("outputs", [])
                    cell.execution_count = old[cell.source].get("execution_count")
        if execute:
            import nbclient

            nbclient.NotebookClient(
                nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}
            ).execute()
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name, "(executed)" if execute else "")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
