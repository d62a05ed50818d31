"""Pictures: expression graphs (graphviz), training plots and training diagnostics (matplotlib),
both libraries imported lazily."""

from chainrule.viz.diagnostics import (
    UpdateRatioTracker,
    activation_stats,
    gradient_stats,
    plot_activation_histograms,
    plot_gradient_histograms,
    plot_update_ratios,
)
from chainrule.viz.graph import GraphNode, draw_graph, register_node_kind, save_graph, value_nodes
from chainrule.viz.plots import (
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_loss,
    plot_training,
)

__all__ = [
    "GraphNode",
    "UpdateRatioTracker",
    "activation_stats",
    "draw_graph",
    "gradient_stats",
    "plot_activation_histograms",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_gradient_histograms",
    "plot_loss",
    "plot_training",
    "plot_update_ratios",
    "register_node_kind",
    "save_graph",
    "value_nodes",
]
