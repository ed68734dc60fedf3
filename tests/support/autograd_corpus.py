"""Real autograd and device errors from public threads, each reduced to a CPU snippet.

Each function below is one case: its body reproduces, on the CPU, the bug that the thread
at ``url`` reports, keeping the user's own construct (``nn.ReLU(inplace=True)``,
``laterals[i - 1] += ...``, ``np.sum([...])``, ...). The line marked ``# <- here`` is the
line the explanation must point at. GPU-only device errors are reduced to the same bug
between the ``meta`` device and the CPU, which raises a real error on any machine;
``seen`` keeps the text the thread's user saw on the GPU, to feed the message path too.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class Case:
    """One real error: where it was reported, its snippet, and what the explanation says."""

    url: str
    fn: Callable[[], object]
    culprit: str  # the explanation names the culprit with this text
    fixes: tuple[str, ...]  # the explanation's fix contains each of these
    seen: str | None = None  # the message the thread's user saw, for GPU-only errors


# -- a saved tensor modified in place -----------------------------------------------------
def xception_inplace_relu() -> None:
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Linear(4, 4)
            self.activ = nn.ReLU(inplace=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.sigmoid(self.conv(x))
            skip = x * 2
            x = self.activ(x)  # <- here
            return x + skip

    Block()(torch.randn(2, 4)).sum().backward()


def mvanet_modules_set_inplace() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 1))
    for m in model.modules():
        if isinstance(m, (nn.ReLU, nn.Dropout)):
            m.inplace = True
    out = model(torch.randn(3, 4))  # <- here
    out.sum().backward()


def vqa_classifier_dropout_inplace() -> None:
    main = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.5, inplace=True), nn.Linear(8, 3))
    logits = main(torch.randn(2, 6))  # <- here
    logits.sum().backward()


def rknet_attention_border() -> None:
    conv = nn.Conv2d(1, 1, 3, padding=1)
    att = F.relu(conv(torch.randn(2, 1, 6, 6)))
    att[:, :, :, 0] = 0  # <- here
    (att * 2).sum().backward()


def nwpu_fpn_laterals() -> None:
    convs = nn.ModuleList([nn.Conv2d(2, 2, 1) for _ in range(3)])
    feats = [torch.randn(1, 2, 8 // 2**i, 8 // 2**i) for i in range(3)]
    laterals = [F.relu(conv(f)) for conv, f in zip(convs, feats, strict=True)]
    for i in range(len(laterals) - 1, 0, -1):
        prev_shape = laterals[i - 1].shape[2:]
        laterals[i - 1] += F.interpolate(laterals[i], size=prev_shape, mode="nearest")  # <- here
    sum(layer.sum() for layer in laterals).backward()  # type: ignore[union-attr]


def gmnet_relu_inplace_after_relu() -> None:
    conv = nn.Conv2d(3, 4, 3, padding=1)
    relu = nn.ReLU(inplace=True)
    feat = torch.sigmoid(conv(torch.randn(1, 3, 5, 5)))
    out = relu(feat)  # <- here
    out.sum().backward()


def discuss_exp_output_modified() -> None:
    t = torch.arange(3.0, requires_grad=True)
    u = 2 * t
    uexp = u.exp()
    loss = uexp.sum()
    u[0] = 666
    loss.backward(retain_graph=True)
    uexp[0] = 666  # <- here
    loss.backward()


# -- a leaf that requires grad changed in place -------------------------------------------
def sparsellm_manual_update() -> None:
    s_batch = torch.randn(4, requires_grad=True)
    loss_s = (s_batch**2).sum()
    loss_s.backward()
    s_learning_rate = 0.1
    s_batch -= s_learning_rate * s_batch.grad  # type: ignore[operator]  # <- here


def examples_word_lm_sgd() -> None:
    model = nn.Linear(3, 1)
    model(torch.randn(2, 3)).sum().backward()
    lr = 0.1
    for p in model.parameters():
        p.add_(p.grad, alpha=-lr)  # <- here


def vila_text_embeds() -> None:
    text_embeds = torch.zeros(2, 4, requires_grad=True)
    image_embeds = torch.randn(3, 4)
    text_embeds += image_embeds.mean() * 0.0  # <- here


def fcharndet_copy_weights() -> None:
    cconv = nn.Conv2d(2, 2, 1)
    W = torch.randn(2, 2, 1, 1)
    cconv.weight[:, :, :, :] = W[:, :, :, :]  # <- here


def nyu_positional_encoding() -> None:
    theta = np.arange(12.0).reshape(3, 4)
    E = nn.Parameter(torch.zeros(3, 4))
    E[:, 0::2] = torch.FloatTensor(np.sin(theta[:, 0::2]))  # <- here


def knowledge_neurons_edit() -> None:
    dense = nn.Linear(4, 4)
    ori_pred_emb = torch.randn(4)
    pos = 1
    dense.weight[:, pos] -= ori_pred_emb * 0.5  # <- here


def discuss_leaf_iadd() -> None:
    c = torch.randn(10, 3, 2, 4, requires_grad=True)
    c += 1  # <- here


def relu_inplace_then_iadd() -> None:
    x = torch.randn(5, requires_grad=True)
    relu = nn.ReLU(inplace=True)
    y = relu(x * 1)
    y += 1  # <- here
    y.sum().backward()


# -- a graph used twice --------------------------------------------------------------------
def morvan_rnn_h_state() -> None:
    rnn = nn.RNN(1, 4, batch_first=True)
    head = nn.Linear(4, 1)
    h_state = None
    for _ in range(2):
        out, h_state = rnn(torch.randn(1, 5, 1), h_state)
        loss = head(out).pow(2).mean()
        loss.backward()  # <- here


def opennmt_carried_hidden() -> None:
    cell = nn.LSTMCell(3, 3)
    hidden = (torch.zeros(1, 3), torch.zeros(1, 3))
    for _ in range(2):
        hidden = cell(torch.randn(1, 3), hidden)
        hidden[0].sum().backward()  # <- here


def darts_repackage_hidden() -> None:
    gru = nn.GRU(2, 2)
    hidden = torch.zeros(1, 1, 2)
    for _ in range(2):
        output, hidden = gru(torch.randn(3, 1, 2), hidden)
        output.mean().backward()  # <- here


# -- backward on many values ---------------------------------------------------------------
def gan_geometry_autograd_grad() -> None:
    perturb_vecs = torch.randn(2, 5, requires_grad=True)
    activs = (perturb_vecs**2).sum(dim=1)
    torch.autograd.grad(activs, perturb_vecs, retain_graph=False, create_graph=False)  # <- here


def gradcam_batch_score() -> None:
    model = nn.Linear(4, 3)
    logit = model(torch.randn(2, 4))
    class_idx = logit.argmax(dim=1)
    score = logit.gather(1, class_idx[:, None]).squeeze(1)
    score.backward()  # <- here


def promptsrc_data_parallel_loss() -> None:
    model = nn.Linear(3, 1)
    per_gpu = [F.mse_loss(model(torch.randn(2, 3)), torch.zeros(2, 1)) for _ in range(2)]
    loss = torch.stack(per_gpu)  # what nn.DataParallel gathers: one loss per GPU
    loss.backward()  # <- here


def maskpoint_data_parallel_loss() -> None:
    model = nn.Linear(3, 3)
    _loss = (model(torch.randn(4, 3)) ** 2).mean(dim=1)
    _loss.backward()  # <- here


# -- no graph at all -----------------------------------------------------------------------
def lightning_backward_in_test_step() -> None:
    model = nn.Linear(3, 1)
    with torch.no_grad():  # Lightning runs test_step without grad
        loss = model(torch.randn(2, 3)).pow(2).mean()
        loss.backward()  # <- here


# -- NumPy on a tensor that requires grad --------------------------------------------------
def fedgen_np_sum_losses() -> None:
    model = nn.Linear(2, 1)
    test_samples = [3, 5]
    test_losses = [model(torch.randn(1, 2)).sum() for _ in test_samples]
    glob_loss = np.sum([x * y for (x, y) in zip(test_samples, test_losses, strict=True)])  # <- here
    print(glob_loss)


def dhcn_np_sum_embeddings() -> None:
    emb = nn.Embedding(5, 3)
    final = [emb(torch.tensor([i])) for i in range(3)]
    item_embeddings = np.sum(final, 0)  # <- here
    print(item_embeddings)


def embedding_inspector_plot() -> None:
    emb_vec = nn.Embedding(4, 3).weight
    u = 1
    y = emb_vec[u].numpy()  # <- here
    print(y)


def yolo_heatmap_array() -> None:
    conv = nn.Conv2d(1, 1, 3)
    array = conv(torch.randn(1, 1, 5, 5))[0, 0]
    array = array.cpu().numpy()  # <- here


# -- requires_grad on integers -------------------------------------------------------------
def pytorch_95110_max_indices() -> None:
    out = torch.randn(4, 3, requires_grad=True)
    _, predicted = torch.max(out, 1)
    predicted.requires_grad = True  # <- here


def yunjey_int_tensor() -> None:
    x = torch.tensor(1, requires_grad=True)  # <- here
    print(x)


# -- devices -------------------------------------------------------------------------------
def geektime_batchnorm_in_forward() -> None:
    class DoubleConv(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.conv1(x)
            x = nn.BatchNorm2d(num_features=4)(x)  # <- here
            return F.relu(x)

    model = DoubleConv().to("meta")  # stands in for .to("cuda")
    model(torch.randn(1, 3, 4, 4, device="meta"))


def fastnn_mm_mat2() -> None:
    x = torch.randn(5, 3, device="meta")  # the input, moved to the GPU
    weight, bias = torch.randn(3, 2), torch.zeros(2)  # factors left on the CPU
    # On the meta device a bare mm does not check devices; addmm (mm plus bias) does.
    torch.addmm(bias, x, weight)  # <- here


def fluxtrainer_addmm_mat1() -> None:
    model = nn.Linear(4, 2).to("meta")
    x = torch.randn(3, 4)  # never moved
    model(x)  # <- here


def tetris_next_states() -> None:
    model = nn.Linear(4, 1).to("meta")
    next_states = torch.randn(5, 4, device="meta")
    alpha = torch.tensor(0.5)
    alpha * model(next_states) + torch.ones(5, 1)  # <- here


def mantranet_cpu_mask() -> None:
    pred = torch.randn(1, 1, 4, 4, device="meta")
    mask = torch.zeros(1, 1, 4, 4)
    F.binary_cross_entropy_with_logits(pred, mask)  # <- here


def cutie_load_gpu_checkpoint() -> None:
    buffer = io.BytesIO()
    with mock.patch.object(torch.serialization, "location_tag", return_value="cuda:0"):
        torch.save({"weight": torch.randn(2)}, buffer)  # a checkpoint saved on a GPU
    buffer.seek(0)
    torch.load(buffer)  # <- here


def yunjey_tutorial_load() -> None:
    buffer = io.BytesIO()
    with mock.patch.object(torch.serialization, "location_tag", return_value="cuda:0"):
        torch.save(nn.Linear(2, 1).state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)  # <- here
    print(state)


_SEEN_ADDMM = (
    "Expected all tensors to be on the same device, but found at least two devices, cpu and "
    "cuda:0! (when checking argument for argument mat1 in method wrapper_CUDA_addmm)"
)
_SEEN_TWO = (
    "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
)
_INPLACE = ("drop inplace=True",)
_SAVED = ("out-of-place form", "y.clone()")
_LEAF = ("torch.no_grad()",)
_DEVICE = ("model.to(device)", "x.to(device)")

CASES: tuple[Case, ...] = (
    Case("https://github.com/osmr/imgclsmob/issues/13", xception_inplace_relu,
         "relu(inplace=True) in ReLU.forward", (*_INPLACE, "nn.ReLU()")),
    Case("https://github.com/qianyu-dlut/MVANet/issues/2", mvanet_modules_set_inplace,
         "dropout(inplace=True) in Dropout.forward", (*_INPLACE, "nn.Dropout()")),
    Case("https://github.com/BierOne/bottom-up-attention-vqa/issues/6",
         vqa_classifier_dropout_inplace, "dropout(inplace=True) in Dropout.forward",
         (*_INPLACE, "nn.Dropout()")),
    Case("https://github.com/AggMan96/RK-Net/issues/9", rknet_attention_border,
         "The in-place operation: __setitem__", _SAVED),
    Case("https://github.com/lyongo/NWPU-MOC/issues/4", nwpu_fpn_laterals,
         "The in-place operation: add_ at", _SAVED),
    Case("https://github.com/Jinfu-pku/GMNet/issues/3", gmnet_relu_inplace_after_relu,
         "relu(inplace=True) in ReLU.forward", (*_INPLACE, "nn.ReLU()")),
    Case("https://discuss.pytorch.org/t/when-inplace-operation-are-allowed-and-when-not/169583/3",
         discuss_exp_output_modified, "The in-place operation: __setitem__", _SAVED),
    Case("https://github.com/BaiTheBest/SparseLLM/issues/13", sparsellm_manual_update,
         "the in-place operation sub_ at", _LEAF),
    Case("https://github.com/pytorch/examples/pull/779", examples_word_lm_sgd,
         "the in-place operation add_", _LEAF),
    Case("https://github.com/NVlabs/VILA/pull/199", vila_text_embeds,
         "the in-place operation add_ at", (*_LEAF, "out-of-place form")),
    Case("https://github.com/PingoLH/FCHarDNet/issues/61", fcharndet_copy_weights,
         "the in-place operation __setitem__ at", _LEAF),
    Case("https://github.com/Atcold/NYU-DLSP20/issues/765", nyu_positional_encoding,
         "the in-place operation __setitem__ at", _LEAF),
    Case("https://github.com/Hunter-DDM/knowledge-neurons/issues/14", knowledge_neurons_edit,
         "the in-place operation sub_ at", _LEAF),
    Case("https://discuss.pytorch.org/t/inplace-operation-changes-is-leaf-attribute/120297",
         discuss_leaf_iadd, "the in-place operation add_ at", _LEAF),
    Case("https://github.com/pytorch/pytorch/issues/5687", relu_inplace_then_iadd,
         "The in-place operation: add_ at", _SAVED),
    Case("https://github.com/MorvanZhou/PyTorch-Tutorial/issues/57", morvan_rnn_h_state,
         "went through a graph that an earlier backward() freed", ("h = h.detach()",)),
    Case("https://github.com/OpenNMT/OpenNMT-py/issues/403", opennmt_carried_hidden,
         "went through a graph that an earlier backward() freed", ("h = h.detach()",)),
    Case("https://github.com/quark0/darts/issues/56", darts_repackage_hidden,
         "went through a graph that an earlier backward() freed", ("h = h.detach()",)),
    Case("https://github.com/Animadversio/GAN-Geometry/issues/4", gan_geometry_autograd_grad,
         "torch.autograd.grad() was given outputs of shape (2,)", ("grad_outputs=", "y.sum()")),
    Case("https://github.com/1Konny/gradcam_plus_plus-pytorch/issues/7", gradcam_batch_score,
         "backward() was called without a gradient on a tensor of shape (2,)",
         (".sum().backward()",)),
    Case("https://github.com/muzairkhattak/PromptSRC/issues/6", promptsrc_data_parallel_loss,
         "backward() was called without a gradient on a tensor of shape (2,)",
         ("loss.mean().backward()",)),
    Case("https://github.com/WisconsinAIVision/MaskPoint/issues/7", maskpoint_data_parallel_loss,
         "backward() was called without a gradient on a tensor of shape (4,)",
         ("loss.mean().backward()",)),
    Case("https://github.com/Lightning-AI/pytorch-lightning/issues/19910",
         lightning_backward_in_test_step, "grad mode is off (torch.no_grad())", ("outside torch.no_grad()",)),
    Case("https://github.com/zhuangdizhu/FedGen/issues/1", fedgen_np_sum_losses,
         "NumPy converted a tensor that requires grad", ("torch.stack([a, b]).sum()", ".detach()")),
    Case("https://github.com/xiaxin1998/DHCN/issues/8", dhcn_np_sum_embeddings,
         "NumPy converted a tensor that requires grad", ("torch.stack([a, b]).sum()",)),
    Case("https://github.com/tkalayci71/embedding-inspector/issues/22", embedding_inspector_plot,
         ".numpy() was called on a tensor that requires grad", ("t.detach().numpy()",)),
    Case("https://github.com/XiaMooo/Yolo-Detect-Layer-Visualization/issues/1", yolo_heatmap_array,
         ".numpy() was called on a tensor that requires grad", ("t.detach().cpu().numpy()",)),
    Case("https://github.com/pytorch/pytorch/issues/95110", pytorch_95110_max_indices,
         "integer indices that torch.max returned", ("torch.max(x, dim).values",)),
    Case("https://github.com/yunjey/pytorch-tutorial/pull/128", yunjey_int_tensor,
         "requires_grad was asked of an integer or bool tensor", ("torch.tensor([1., 2.]",)),
    Case("https://github.com/syuu1987/geekTime-semantic-segmentation/issues/1",
         geektime_batchnorm_in_forward, "batch_norm in BatchNorm2d.forward",
         (*_DEVICE, "create layers in __init__"), _SEEN_TWO),
    Case("https://github.com/wmyw96/FAST-NN/issues/1", fastnn_mm_mat2,
         "argument 2 (3, 2) on cpu", _DEVICE,
         "Expected all tensors to be on the same device, but found at least two devices, cpu "
         "and cuda:0! (when checking argument for argument mat2 in method wrapper_mm)"),
    Case("https://github.com/kijai/ComfyUI-FluxTrainer/issues/116", fluxtrainer_addmm_mat1,
         "linear in Linear.forward", _DEVICE, _SEEN_ADDMM),
    Case("https://github.com/seigot/tetris/issues/56", tetris_next_states,
         "on cpu", _DEVICE, _SEEN_TWO),
    Case("https://github.com/RonyAbecidan/ManTraNet-pytorch/issues/2", mantranet_cpu_mask,
         "binary_cross_entropy_with_logits", _DEVICE, _SEEN_TWO),
    Case("https://github.com/hkchengrex/Cutie/issues/37", cutie_load_gpu_checkpoint,
         "torch.load() at autograd_corpus.py", ("map_location='cpu'",)),
    Case("https://github.com/yunjey/pytorch-tutorial/issues/249", yunjey_tutorial_load,
         "torch.load() at autograd_corpus.py", ("map_location='cpu'",)),
)  # fmt: skip
