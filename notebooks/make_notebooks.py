"""Write the walkthrough notebooks from their cell sources (kept here so diffs stay readable).

Run: ``python notebooks/make_notebooks.py``; tests execute the written notebooks.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

BUIKSLOTERHAM = [
    new_markdown_cell(
        "# Buiksloterham: a year of heat recovery, biogas and struvite\n\n"
        "This notebook loads the Buiksloterham district (550 new homes in Amsterdam North, "
        "planned with vacuum toilets and a neighbourhood biorefinery), simulates a year of "
        "hourly flows and looks at where the heat in greywater and the phosphorus in black "
        "water go.\n\n"
        "Every number in `districts/buiksloterham.toml` carries its source."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "import nexus\n\n"
        "district = nexus.load_district('../districts/buiksloterham.toml')\n"
        "ds = nexus.simulate(district)\n"
        "nexus.kpis(ds).round(1).to_frame()"
    ),
    new_markdown_cell(
        "Every variable carries `units` and `long_name`; streams are the connections of the "
        "district file."
    ),
    new_code_cell("ds['flow_m3_h'].attrs, list(ds['stream'].values)"),
    new_markdown_cell(
        "## A winter week\n\nGreywater flows and temperatures, and heat delivered against demand."
    ),
    new_code_cell(
        "week = ds.sel(time=slice('2025-01-13', '2025-01-19'))\n"
        "fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)\n"
        "for stream in ['homes.shower -> dwhr.in', 'homes.greywater -> gw_hp.in']:\n"
        "    week['flow_m3_h'].sel(stream=stream).plot(ax=axes[0], label=stream)\n"
        "axes[0].legend()\n"
        "axes[0].set_title('greywater flow')\n"
        "for stream in ['homes.greywater -> gw_hp.in', 'gw_hp.out -> sewer.in']:\n"
        "    week['T_C'].sel(stream=stream).plot(ax=axes[1], label=stream)\n"
        "axes[1].legend()\n"
        "axes[1].set_title('greywater temperature, before and after heat recovery')\n"
        "demand = week['heat_network.space_heating_demand_kW'] + week['heat_network.dhw_demand_kW']\n"
        "demand.plot(ax=axes[2], label='space heating + hot water demand')\n"
        "week['heat_kW'].sum('heat_link').plot(ax=axes[2], label='recovered heat delivered')\n"
        "axes[2].legend()\n"
        "axes[2].set_ylabel('kW')\n"
        "axes[2].set_title('heat')\n"
        "fig.tight_layout()"
    ),
    new_markdown_cell("## Monthly heat"),
    new_code_cell(
        "labels = {\n"
        "    'dwhr.heat_recovered_kW': 'shower heat recovery',\n"
        "    'gw_hp.heat_delivered_kW': 'greywater heat pump, delivered',\n"
        "    'gw_hp.electricity_kW': 'heat-pump electricity',\n"
        "    'heat_network.space_heating_demand_kW': 'space-heating demand',\n"
        "    'heat_network.dhw_demand_kW': 'hot-water demand',\n"
        "}\n"
        "monthly = ds[list(labels)].resample(time='MS').sum().to_dataframe() / 1000  # MWh/month\n"
        "monthly.index = monthly.index.strftime('%b')\n"
        "ax = monthly.rename(columns=labels).plot.bar(figsize=(10, 4), rot=0)\n"
        "ax.set_ylabel('MWh per month')\n"
        "ax.set_title('Buiksloterham: monthly heat')"
    ),
    new_markdown_cell(
        "## Phosphorus: from black water to struvite\n\n"
        "The digester releases phosphate as it hydrolyses organic matter; the struvite reactor "
        "doses MgCl2 into the digester effluent and harvests MgNH4PO4.6H2O. Monthly phosphorus, "
        "in kg:"
    ),
    new_code_cell(
        "phosphorus = {\n"
        "    'struvite.PO4_P_in_kg_h': 'phosphate reaching the struvite reactor',\n"
        "    'struvite.P_removed_kg_h': 'harvested as struvite',\n"
        "}\n"
        "monthly_p = ds[list(phosphorus)].resample(time='MS').sum().to_dataframe()  # kg/month\n"
        "monthly_p.index = monthly_p.index.strftime('%b')\n"
        "ax = monthly_p.rename(columns=phosphorus).plot.bar(figsize=(10, 4), rot=0)\n"
        "ax.set_ylabel('kg P per month')\n"
        "ax.set_title('Buiksloterham: phosphorus recovered as struvite')"
    ),
    new_markdown_cell(
        "The balances close every hour (water, COD, N, P, K, Mg, Ca, Na, Cl and energy), for "
        "each unit and for the whole district; the Mg and Cl of the dosed MgCl2 enter as dosed "
        "chemicals:"
    ),
    new_code_cell(
        "{scope: max(abs(v).max() for v in q.values()) for scope, q in nexus.balances(ds).items()}"
    ),
]


def write() -> None:
    nb = new_notebook(cells=BUIKSLOTERHAM)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, HERE / "01_buiksloterham.ipynb")


if __name__ == "__main__":
    write()
