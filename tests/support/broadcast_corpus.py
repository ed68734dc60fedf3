"""Real broadcasting bugs and real intended broadcasts, each reduced to a CPU snippet.

Every case cites where it comes from: a public issue or pull request whose code had the
bug, or a file in a well-known codebase that uses the broadcast on purpose. Each snippet
keeps the shapes and the form of the original expression (names shortened, sizes small);
``strict_broadcasting`` is judged on the line as written, so the operand expressions are
those of the source.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class Case(NamedTuple):
    """One corpus row: a snippet, whether it is a bug, and where it comes from."""

    name: str
    bug: bool
    source: str
    run: Callable[[], object]


# -- bugs: a loss or an element-wise op pairs values with the wrong partners ----------


def farm_regression_head() -> object:
    logits, labels = torch.randn(32), torch.randn(32, 1)  # squeezed logits, (N, 1) labels
    return nn.MSELoss()(logits, labels)


def hpa_scc_batch_mismatch() -> object:
    outputs, targets = torch.randn(1, 18), torch.randn(8, 18)  # model flattened the batch
    return nn.MSELoss()(outputs, targets)


def deepprotein_regression() -> object:
    pred, label = torch.randn(66, 3, 1), torch.randn(66)
    return F.mse_loss(pred, label)


def tsai_regression_target() -> object:
    pred, target = torch.randn(16, 1), torch.randn(16)
    return nn.MSELoss()(pred, target)


def gandlf_regression() -> object:
    output, label = torch.randn(2), torch.randn(1)
    return nn.MSELoss()(output, label)


def xrays_ct_batch() -> object:
    outputs, ct = torch.randn(16, 4, 4, 4), torch.randn(1, 4, 4, 4)
    return nn.MSELoss()(outputs, ct)


def conet_depth_loss() -> object:
    high_depth, depth = torch.rand(2, 1, 8, 8), torch.rand(2, 8, 8)
    return F.smooth_l1_loss(high_depth, depth, reduction="sum")


def diagnosis_autoencoder() -> object:
    output, target = torch.randn(4, 16), torch.randn(4, 1, 16)
    return nn.MSELoss()(output, target)


def deepsets_popstats() -> object:
    y_pred, y = torch.randn(128, 1), torch.randn(128)
    return ((y_pred - y) ** 2).mean()


def pytorch_19699_mseloss() -> object:
    a, b = torch.randn(100, 1), torch.randn(100)
    loss = torch.nn.MSELoss()
    return loss(a, b)


def pytorch_16045_fastai_loop() -> object:
    xb, yb = torch.randn(8, 3), torch.randn(8)
    model = nn.Linear(3, 1)
    return F.mse_loss(model(xb), yb)


def pytorch_2973_product() -> object:
    x, y = torch.randn(10, 1), torch.randn(10)
    return (x * y).sum()


def labram_accuracy() -> object:
    output, targets = torch.randn(64, 3), torch.randint(0, 3, (64, 1))
    return (output.max(-1)[-1] == targets).float().mean()


def coursia_forecast() -> object:
    pred, y_batch = torch.randn(64, 1), torch.randn(64)
    criterion = nn.MSELoss()
    return criterion(pred, y_batch)


def a3c_advantage() -> object:
    vals_ref_v, value_v = torch.randn(8), torch.randn(8, 1)
    return vals_ref_v - value_v.detach()


def autovc_identity_loss() -> object:
    x_real, x_identic = torch.randn(4, 16, 8), torch.randn(4, 1, 16, 8)
    return F.mse_loss(x_real, x_identic)


def matsciml_readout_loss() -> object:
    y, x = torch.rand(8), torch.rand(8, 1)  # graph readout (N,), labels (N, 1)
    return nn.MSELoss()(y, x)


def sktime_regressor_epoch() -> object:
    y_pred, outputs = torch.randn(6, 1), torch.randn(6)  # Linear(..., 1) head, (B,) targets
    criterion = nn.MSELoss()
    return criterion(y_pred, outputs)


def talent_mse() -> object:
    y_true, y_pred = torch.randn(16, 1), torch.randn(16)
    return F.mse_loss(y_true, y_pred)


def talent_grownet_residual() -> object:
    out, y = torch.randn(16, 1, dtype=torch.float64), torch.randn(16, dtype=torch.float64)
    return -(out - y)


def rlinf_critic_returns() -> object:
    returns, values = torch.randn(8, 1), torch.randn(8)  # rollout [B, 1], value head [B]
    return returns - values


def ppo_surrogate() -> object:
    ratio, advantages = torch.rand(16), torch.randn(16, 1)  # GAE gives (batch_size, 1)
    return ratio * advantages


def a2c_cartpole_advantages() -> object:
    qs, vs = torch.randn(30), torch.randn(30, 1)  # discounted rewards, value net output
    return qs - vs


def protonet_accuracy() -> object:
    n_classes, n_query = 5, 1  # one-shot queries
    log_p_y = torch.randn(n_classes, n_query, n_classes)
    target_inds = torch.arange(0, n_classes).view(n_classes, 1, 1)
    target_inds = target_inds.expand(n_classes, n_query, 1).long()
    _, y_hat = log_p_y.max(2)
    return torch.eq(y_hat, target_inds.squeeze()).float().mean()


# -- intended broadcasts from well-known code -----------------------------------------


def whisper_sinusoids() -> object:
    length, channels = 6, 8
    inv_timescales = torch.exp(-math.log(10000) / 3 * torch.arange(channels // 2))
    return torch.arange(length)[:, np.newaxis] * inv_timescales[np.newaxis, :]


def hf_make_causal_mask() -> object:
    mask = torch.full((5, 5), -1e9)
    mask_cond = torch.arange(mask.size(-1))
    return mask.masked_fill_(mask_cond < (mask_cond + 1).view(mask.size(-1), 1), 0)


def t5_relative_position() -> object:
    context_position = torch.arange(6, dtype=torch.long)[:, None]
    memory_position = torch.arange(6, dtype=torch.long)[None, :]
    return memory_position - context_position


def torchvision_box_inter() -> object:
    boxes1, boxes2 = torch.rand(5, 4), torch.rand(5, 4)
    return torch.max(boxes1[:, None, :2], boxes2[:, :2])


def torchvision_box_union() -> object:
    area1, area2, inter = torch.rand(5), torch.rand(5), torch.rand(5, 5)
    return area1[:, None] + area2 - inter


def torchvision_anchor_sizes() -> object:
    w_ratios, scales = torch.rand(3), torch.rand(3)
    return (w_ratios[:, None] * scales[None, :]).view(-1)


def detr_sine_position() -> object:
    x_embed, dim_t = torch.rand(2, 4, 4), torch.rand(8)
    return x_embed[:, :, :, None] / dim_t


def detr_generalized_box_iou() -> object:
    boxes1, boxes2 = torch.rand(4, 4), torch.rand(4, 4)
    return torch.min(boxes1[:, None, :2], boxes2[:, :2])


def bloom_alibi() -> object:
    slopes, attention_mask = torch.rand(4), torch.ones(2, 4)
    arange_tensor = ((attention_mask.cumsum(dim=-1) - 1) * attention_mask)[:, None, :]
    return slopes[..., None] * arange_tensor


def supcon_mask() -> object:
    labels = torch.randint(0, 3, (8,)).contiguous().view(-1, 1)
    return torch.eq(labels, labels.T).float()


def simclr_labels() -> object:
    labels = torch.cat([torch.arange(4) for i in range(2)], dim=0)
    return (labels.unsqueeze(0) == labels.unsqueeze(1)).float()


def diffusers_timestep_embedding() -> object:
    timesteps, emb = torch.arange(4), torch.rand(4)
    return timesteps[:, None].float() * emb[None, :]


def swin_relative_coords() -> object:
    coords_flatten = torch.rand(2, 9)
    return coords_flatten[:, :, None] - coords_flatten[:, None, :]


def yolov5_box_iou() -> object:
    box1, box2 = torch.rand(5, 4), torch.rand(5, 4)
    (a1, a2), (b1, b2) = box1.unsqueeze(1).chunk(2, 2), box2.unsqueeze(0).chunk(2, 2)
    return (torch.min(a2, b2) - torch.max(a1, b1)).clamp(0).prod(2)


def fairseq_sinusoidal() -> object:
    emb = torch.rand(4)
    return torch.arange(4, dtype=torch.float).unsqueeze(1) * emb.unsqueeze(0)


def vq_vae_distances() -> object:
    flat_input, weight = torch.rand(16, 4), torch.rand(8, 4)
    return (
        torch.sum(flat_input**2, dim=1, keepdim=True)
        + torch.sum(weight**2, dim=1)
        - 2 * torch.matmul(flat_input, weight.t())
    )


def positional_encoding() -> object:
    max_len, d_model = 50, 16
    position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    return torch.sin(position * div_term)


def triplet_labels_equal() -> object:
    labels = torch.randint(0, 3, (6,))
    return labels.unsqueeze(0) == labels.unsqueeze(1)


def torchvision_hsv2rgb_mask() -> object:
    i = torch.randint(0, 6, (4, 4), dtype=torch.int32)  # hue sector of each pixel
    return i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)


def bert_attention_mask() -> object:
    attention_scores, attention_mask = torch.randn(2, 4, 6, 6), torch.zeros(2, 1, 1, 6)
    return attention_scores + attention_mask


def bert_relative_distance() -> object:
    seq_length = 6
    position_ids_l = torch.arange(seq_length, dtype=torch.long).view(-1, 1)
    position_ids_r = torch.arange(seq_length, dtype=torch.long).view(1, -1)
    return position_ids_l - position_ids_r


def fairdarts_zero_one_loss() -> object:
    input2 = torch.rand(28, 7)  # sigmoid architecture weights, pushed away from 0.5
    return -F.mse_loss(input2, torch.tensor(0.5, requires_grad=False))


def iqn_quantile_huber() -> object:
    q_eval, q_target = torch.randn(32, 8, 1), torch.randn(32, 1, 8)
    return F.smooth_l1_loss(q_eval, q_target, reduction="none")


GH = "https://github.com/"
CASES = [
    Case("farm-regression-head", True, GH + "deepset-ai/FARM/issues/229", farm_regression_head),
    Case("hpa-scc-batch", True, GH + "weka511/hpa-scc/issues/38", hpa_scc_batch_mismatch),
    Case("deepprotein", True, GH + "jiaqingxie/DeepProtein/issues/1", deepprotein_regression),
    Case("tsai-regression", True, GH + "timeseriesAI/tsai/issues/22", tsai_regression_target),
    Case("gandlf-regression", True, GH + "mlcommons/GaNDLF/issues/134", gandlf_regression),
    Case("xrays-ct-batch", True, GH + "LijunRio/Xrays_CT/issues/2", xrays_ct_batch),
    Case("conet-smooth-l1", True, GH + "jiwei0921/CoNet/issues/3", conet_depth_loss),
    Case(
        "diagnosis-autoencoder",
        True,
        GH + "ZhaoZhibin/DL-based-Intelligent-Diagnosis-Benchmark/issues/17",
        diagnosis_autoencoder,
    ),
    Case("deepsets-popstats", True, GH + "manzilzaheer/DeepSets/pull/1", deepsets_popstats),
    Case("pytorch-19699", True, GH + "pytorch/pytorch/issues/19699", pytorch_19699_mseloss),
    Case("pytorch-16045", True, GH + "pytorch/pytorch/issues/16045", pytorch_16045_fastai_loop),
    Case("pytorch-2973", True, GH + "pytorch/pytorch/issues/2973", pytorch_2973_product),
    Case("labram-accuracy", True, GH + "935963004/LaBraM/issues/15", labram_accuracy),
    Case("coursia-forecast", True, GH + "jsboige/CoursIA/pull/926", coursia_forecast),
    Case(
        "a3c-advantage",
        True,
        GH + "PacktPublishing/Deep-Reinforcement-Learning-Hands-On/issues/33",
        a3c_advantage,
    ),
    Case(
        "autovc-identity-loss", True, GH + "auspicious3000/autovc/issues/66", autovc_identity_loss
    ),
    Case("matsciml-readout", True, GH + "IntelLabs/matsciml/pull/347", matsciml_readout_loss),
    Case("sktime-regressor", True, GH + "sktime/sktime/issues/10931", sktime_regressor_epoch),
    Case("talent-mse", True, GH + "LAMDA-Tabular/TALENT/pull/92", talent_mse),
    Case("talent-grownet", True, GH + "LAMDA-Tabular/TALENT/pull/109", talent_grownet_residual),
    Case("rlinf-critic", True, GH + "RLinf/RLinf/issues/1568", rlinf_critic_returns),
    Case("ppo-surrogate", True, GH + "RITCHIEHuang/DeepRL_Algorithms/issues/13", ppo_surrogate),
    Case(
        "a2c-cartpole-advantages",
        True,
        GH + "floodsung/a2c_cartpole_pytorch/issues/3",
        a2c_cartpole_advantages,
    ),
    Case(
        "protonet-accuracy",
        True,
        GH + "orobix/Prototypical-Networks-for-Few-shot-Learning-PyTorch/issues/23",
        protonet_accuracy,
    ),
    Case("whisper-sinusoids", False, GH + "openai/whisper (whisper/model.py)", whisper_sinusoids),
    Case(
        "hf-causal-mask",
        False,
        GH + "huggingface/transformers (src/transformers/modeling_attn_mask_utils.py)",
        hf_make_causal_mask,
    ),
    Case(
        "t5-relative-position",
        False,
        GH + "huggingface/transformers (src/transformers/models/t5/modeling_t5.py)",
        t5_relative_position,
    ),
    Case(
        "torchvision-box-inter",
        False,
        GH + "pytorch/vision (torchvision/ops/boxes.py)",
        torchvision_box_inter,
    ),
    Case(
        "torchvision-box-union",
        False,
        GH + "pytorch/vision (torchvision/ops/boxes.py)",
        torchvision_box_union,
    ),
    Case(
        "torchvision-anchors",
        False,
        GH + "pytorch/vision (torchvision/models/detection/anchor_utils.py)",
        torchvision_anchor_sizes,
    ),
    Case(
        "detr-sine-position",
        False,
        GH + "facebookresearch/detr (models/position_encoding.py)",
        detr_sine_position,
    ),
    Case(
        "detr-giou",
        False,
        GH + "facebookresearch/detr (util/box_ops.py)",
        detr_generalized_box_iou,
    ),
    Case(
        "bloom-alibi",
        False,
        GH + "huggingface/transformers (src/transformers/models/bloom/modeling_bloom.py)",
        bloom_alibi,
    ),
    Case("supcon-mask", False, GH + "HobbitLong/SupContrast (losses.py)", supcon_mask),
    Case("simclr-labels", False, GH + "sthalles/SimCLR (simclr.py)", simclr_labels),
    Case(
        "diffusers-timestep",
        False,
        GH + "huggingface/diffusers (src/diffusers/models/embeddings.py)",
        diffusers_timestep_embedding,
    ),
    Case(
        "swin-relative-coords",
        False,
        GH + "microsoft/Swin-Transformer (models/swin_transformer.py)",
        swin_relative_coords,
    ),
    Case("yolov5-box-iou", False, GH + "ultralytics/yolov5 (utils/metrics.py)", yolov5_box_iou),
    Case(
        "fairseq-sinusoidal",
        False,
        GH + "facebookresearch/fairseq (fairseq/modules/sinusoidal_positional_embedding.py)",
        fairseq_sinusoidal,
    ),
    Case(
        "vq-vae-distances",
        False,
        GH + "zalandoresearch/pytorch-vq-vae (vq-vae.ipynb)",
        vq_vae_distances,
    ),
    Case(
        "positional-encoding",
        False,
        GH + "pytorch/examples (word_language_model/model.py)",
        positional_encoding,
    ),
    Case(
        "triplet-labels-equal",
        False,
        GH + "UKPLab/sentence-transformers (sentence_transformers/losses/BatchHardTripletLoss.py)",
        triplet_labels_equal,
    ),
    Case(
        "torchvision-hsv2rgb",
        False,
        GH + "pytorch/vision (torchvision/transforms/_functional_tensor.py)",
        torchvision_hsv2rgb_mask,
    ),
    Case(
        "bert-attention-mask",
        False,
        GH + "huggingface/transformers (src/transformers/models/bert/modeling_bert.py)",
        bert_attention_mask,
    ),
    Case(
        "bert-relative-distance",
        False,
        GH + "huggingface/transformers (src/transformers/models/bert/modeling_bert.py)",
        bert_relative_distance,
    ),
    Case(
        "fairdarts-zero-one-loss",
        False,
        GH + "xiaomi-automl/FairDARTS (fairdarts/separate_loss.py; issues/2: intended)",
        fairdarts_zero_one_loss,
    ),
    Case(
        "iqn-quantile-huber",
        False,
        GH + "Kchu/DeepRL_PyTorch/issues/1 (maintainer: intended, not a bug)",
        iqn_quantile_huber,
    ),
]
