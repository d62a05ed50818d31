"""Pictures: expression graphs (graphviz) and training plots (matplotlib), both imported lazily."""

from chainrule.viz.graph import GraphNode, draw_graph, register_node_kind, save_graph, value_nodes
from chainrule.viz.plots import (
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_loss,
    plot_training,
)

__all__ = [
    "GraphNode",
    "draw_graph",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_loss",
    "plot_training",
    "register_node_kind",
    "save_graph",
    "value_nodes",
]
