"""Pictures: expression graphs (graphviz) and training plots (matplotlib), both imported lazily."""

from chainrule.viz.graph import GraphNode, draw_graph, register_node_kind, save_graph, value_nodes
from chainrule.viz.plots import plot_decision_boundary, plot_loss

__all__ = [
    "GraphNode",
    "draw_graph",
    "plot_decision_boundary",
    "plot_loss",
    "register_node_kind",
    "save_graph",
    "value_nodes",
]
