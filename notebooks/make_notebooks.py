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
        "import nexus\n"
        "from nexus.figures import link_label  # 'homes.greywater -> gw_hp.in': 'greywater: homes to gw_hp'\n\n"
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
        "What each source, unit and sink did is indexed by the `node` dimension, with its "
        "type and role as coordinates; an output a node does not have is NaN for it. "
        "`nexus units TYPE` (or `nexus.node_types()`) lists what each type reports."
    ),
    new_code_cell("ds[['node_type', 'node_role']].to_dataframe()"),
    new_code_cell(
        "ds.sel(node='gw_hp')[['heat_recovered_kW', 'cop', 'heat_held_kWh']]"
        ".sel(time='2025-01-15').to_dataframe().head()"
    ),
    new_markdown_cell(
        "## A winter week\n\nGreywater flows and temperatures, and heat delivered against demand."
    ),
    new_code_cell(
        "week = ds.sel(time=slice('2025-01-13', '2025-01-19'))\n"
        "fig, axes = plt.subplots(3, 1, figsize=(10, 8), sharex=True)\n"
        "for stream in ['homes.shower -> dwhr.in', 'homes.greywater -> gw_hp.in']:\n"
        "    week['flow_m3_h'].sel(stream=stream).plot(ax=axes[0], label=link_label(stream))\n"
        "axes[0].legend()\n"
        "axes[0].set_title('greywater flow')\n"
        "for stream in ['homes.greywater -> gw_hp.in', 'gw_hp.out -> sewer.in']:\n"
        "    week['T_C'].sel(stream=stream).plot(ax=axes[1], label=link_label(stream))\n"
        "axes[1].legend()\n"
        "axes[1].set_title('greywater temperature, before and after heat recovery')\n"
        "network = week.sel(node='heat_network')\n"
        "demand = network['space_heating_demand_kW'] + network['dhw_demand_kW']\n"
        "demand.plot(ax=axes[2], label='space heating + hot water demand')\n"
        "week['heat_kW'].sum('heat_link').plot(ax=axes[2], label='recovered heat delivered')\n"
        "axes[2].legend()\n"
        "axes[2].set_ylabel('kW')\n"
        "axes[2].set_title('heat')\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
    new_markdown_cell("## Monthly heat"),
    new_code_cell(
        "import pandas as pd\n\n"
        "series = {\n"
        "    'shower heat recovery': ds['heat_recovered_kW'].sel(node='dwhr'),\n"
        "    'greywater heat pump, delivered': ds['heat_delivered_kW'].sel(node='gw_hp'),\n"
        "    'heat-pump electricity': ds['electricity_use_kW'].sel(node='gw_hp'),\n"
        "    'space-heating demand': ds['space_heating_demand_kW'].sel(node='heat_network'),\n"
        "    'hot-water demand': ds['dhw_demand_kW'].sel(node='heat_network'),\n"
        "}\n"
        "hourly = pd.DataFrame({label: v.to_series() for label, v in series.items()})\n"
        "monthly = hourly.resample('MS').sum() / 1000  # MWh/month\n"
        "monthly.index = monthly.index.strftime('%b')\n"
        "ax = monthly.plot.bar(figsize=(10, 4), rot=0)\n"
        "ax.set_ylabel('MWh per month')\n"
        "ax.set_title('Buiksloterham: monthly heat')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Phosphorus: from black water to struvite\n\n"
        "The digester releases phosphate as it hydrolyses organic matter; the struvite reactor "
        "doses MgCl2 into the digester effluent and harvests MgNH4PO4.6H2O. Monthly phosphorus, "
        "in kg:"
    ),
    new_code_cell(
        "reactor = ds.sel(node='struvite')\n"
        "phosphorus = pd.DataFrame({\n"
        "    'phosphate reaching the struvite reactor': reactor['PO4_P_in_kg_h'].to_series(),\n"
        "    'harvested as struvite': reactor['P_recovered_kg_h'].to_series(),\n"
        "})\n"
        "monthly_p = phosphorus.resample('MS').sum()  # kg/month\n"
        "monthly_p.index = monthly_p.index.strftime('%b')\n"
        "ax = monthly_p.plot.bar(figsize=(10, 4), rot=0)\n"
        "ax.set_ylabel('kg P per month')\n"
        "ax.set_title('Buiksloterham: phosphorus recovered as struvite')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Where the nitrogen and phosphorus go\n\n"
        "Every kg of N and P the homes release ends in a sink (the sewer, a farm) or leaves the "
        "water in a unit (struvite crystals; sludge goes to the sewer here). The plan as "
        "simulated above recovers P as struvite but little N; the scenario "
        "`districts/scenarios/buiksloterham_n_recovery.toml` nitrifies the struvite reactor's "
        "effluent and sends the ammonium-nitrate solution to farmland."
    ),
    new_code_cell(
        "from nexus.indicators import NodeView\n\n\n"
        "def nutrient_fate(ds, element):\n"
        '    """kg/yr of an element by where it ends: each sink, and each unit it leaves."""\n'
        "    fate = {}\n"
        "    for node, role in zip(ds['node'].values, ds['node_role'].values, strict=True):\n"
        "        if role == 'sink' and NodeView(ds, node).has_water_in():\n"
        "            fate[f'{node} (in water)'] = NodeView(ds, node).element_in_kg(element)\n"
        "        removed = float(ds['removed_kg_h'].sel(node=node, element=element).sum())\n"
        "        if role == 'unit' and removed > 0:\n"
        "            fate[f'{node} (taken out of the water)'] = removed\n"
        "    return pd.Series(fate)\n\n\n"
        "n_recovery = nexus.simulate(\n"
        "    nexus.load_district('../districts/scenarios/buiksloterham_n_recovery.toml'))\n"
        "fates = {(plan, e): nutrient_fate(run, e) for plan, run in\n"
        "         (('as planned', ds), ('with nitrification', n_recovery)) for e in ('N', 'P')}\n"
        "table = pd.DataFrame(fates).fillna(0.0)\n"
        "fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))\n"
        "for ax, element in zip(axes, ('N', 'P'), strict=True):\n"
        "    table.xs(element, axis=1, level=1).T.plot.barh(stacked=True, ax=ax, legend=ax is axes[1])\n"
        "    ax.set_xlabel(f'kg {element} per year')\n"
        "    ax.set_title(f'where the {element} goes')\n"
        "axes[1].legend(loc='center left', bbox_to_anchor=(1.0, 0.5), fontsize='small')\n"
        "fig.tight_layout()\n"
        "plt.show()\n"
        "table.round(0)"
    ),
    new_markdown_cell(
        "In the scenario the farm receives the nitrified effluent: its nitrate counts as N "
        "recovered (`nitrification: nitrate nitrogen`), and the ammonium paired with it and the "
        "water's P reach the farm too."
    ),
    new_code_cell(
        "k = nexus.kpis(n_recovery)\n"
        "k[[name for name in k.index if 'nitrogen' in name or 'nitrate' in name]].round(1)"
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


OPTIMIZE = [
    new_markdown_cell(
        "# Buiksloterham: choosing unit sizes\n\n"
        "`[optimize]` in `districts/buiksloterham.toml` lets the optimizer choose the greywater "
        "exchanger area, the heat-pump and heat-store capacities, the digester volume and the "
        "CHP size, with cited costs and prices. The unit models are sampled at a few sizes, the year is reduced to 12 "
        "representative days (tsam), Pyomo and HiGHS choose the sizes and operation, and "
        "every design is then simulated over the full year with the full unit models."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "import nexus\n"
        "from nexus.optimize import Optimizer, solve\n\n"
        "district = nexus.load_district('../districts/buiksloterham.toml')\n"
        "front = solve(district, objective='energy', pareto=5)\n"
        "figures = ['energy_kWh_yr', 'P_kg_yr', 'cost_per_yr', 'capex_per_yr', 'opex_per_yr',\n"
        "           'verified_energy_kWh_yr', 'gap_energy_frac', 'gap_P_frac']\n"
        "front[figures].to_dataframe().T.round(3)  # annual figures of each point"
    ),
    new_markdown_cell(
        "The design of each point: one variable per size, over the `node` dimension as in a "
        "simulation (NaN where a node has no such size)."
    ),
    new_code_cell(
        "sizes = ['area_m2', 'capacity_kW', 'capacity_kWh', 'V_liq_m3', 'capacity_kWe', 'V_m3']\n"
        "front[sizes].to_dataframe().dropna(how='all').unstack('pareto').round(1)"
    ),
    new_markdown_cell(
        "## The trade-off between cost and net energy\n\n"
        "Each point is a design; the optimizer's figures (line) and the simulated ones "
        "(crosses) of the same designs. The cost axis starts at the cheapest design (the "
        "baseline, stated in the title), so the height of the curve is the extra cost of more "
        "energy, in proportion: a front whose costs differ by a few percent looks flat, as it is."
    ),
    new_code_cell(
        "cur = front.attrs['currency']\n"
        "cost = front['cost_per_yr'] / 1000  # k/yr\n"
        "baseline = float(cost.min())\n"
        "spread = float(cost.max()) - baseline\n"
        "fig, ax = plt.subplots(figsize=(7, 4))\n"
        "ax.plot(front['energy_kWh_yr'] / 1000, cost - baseline, 'o-', label='optimizer')\n"
        "ax.plot(front['verified_energy_kWh_yr'] / 1000, cost - baseline, 'x', label='simulated')\n"
        "ax.set_xlabel('net energy yield [MWh/yr]')\n"
        "ax.set_ylabel(f'cost above the cheapest design [k{cur}/yr]')\n"
        "ax.set_ylim(0, max(spread, 0.1 * baseline) * 1.1)  # at least a tenth of the baseline\n"
        "ax.legend()\n"
        "ax.set_title(f'Buiksloterham: cost against net energy\\n'\n"
        "             f'cheapest design {baseline:,.0f} k{cur}/yr; the front spans '\n"
        "             f'{spread:,.1f} k{cur}/yr ({100 * spread / baseline:.1f} %)')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## A price sweep without rebuilding\n\n"
        "`Optimizer` builds the model once; `set` changes a price and `solve` re-solves the "
        "same model. The heat-pump capacity chosen as backup heat gets dearer:"
    ),
    new_code_cell(
        "study = Optimizer(district)\n"
        "sweep = {}\n"
        "for price in (0.06, 0.10, 0.14, 0.18):\n"
        "    study.set(heat_backup_per_kWh=price)\n"
        "    sweep[price] = float(study.solve('cost')['capacity_kW'].sel(node='gw_hp')[0])\n"
        "sweep"
    ),
    new_markdown_cell(
        "## How the least-cost design runs\n\n"
        "The result also holds the operation at every step, in the layout of a simulation: "
        "the flow on every heat, power and gas connection, and each node's outputs over "
        "`node`. Here the heat reaching the heat network and the heat store over the 12 "
        "representative days, each 24 h long (storage is cyclic within each day). The "
        "coordinate `date` gives the calendar day each representative day is, and `weight_h` "
        "how many hours of the year it stands for; the days are drawn in calendar order."
    ),
    new_code_cell(
        "from nexus.figures import link_label\n\n"
        "study.set(heat_backup_per_kWh=district.optimize.prices.heat_backup_per_kWh)\n"
        "best = study.solve('cost').isel(pareto=0)\n"
        "best = best.sortby('date')  # the representative days in calendar order\n"
        "network = best['heat_kW'].where(best['heat_link_to'] == 'heat_network', drop=True)\n"
        "heat = {link_label(link): network.sel(heat_link=link) for link in network['heat_link'].values}\n"
        "unmet = best[['space_heating_unmet_kW', 'dhw_unmet_kW']].sel(node='heat_network')\n"
        "heat['backup heat bought'] = unmet['space_heating_unmet_kW'] + unmet['dhw_unmet_kW']\n"
        "hours = range(best.sizes['step'])\n"
        "fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)\n"
        "top.stackplot(hours, *heat.values(), labels=list(heat))\n"
        "top.set_ylabel('heat [kW]')\n"
        "top.legend(loc='upper right', fontsize='small')\n"
        "bottom.plot(hours, best['heat_held_kWh'].sel(node='gw_hp'))\n"
        "bottom.set_ylabel('heat store [kWh]')\n"
        "days = best['date'].values[::24]\n"
        "weights = best['weight_h'].values[::24]  # each hour of a day stands for that many hours: days\n"
        "ticks = [f\"{d.astype('datetime64[D]').item():%d %b}\\n{w:.0f} d\"\n"
        "         for d, w in zip(days, weights, strict=True)]\n"
        "bottom.set_xticks(list(hours)[::24], ticks, fontsize='small')\n"
        "bottom.set_xlabel('representative day: the calendar day it is, and the days of the year it stands for')\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
]

POLICY = [
    new_markdown_cell(
        "# Buiksloterham: three scenarios for a council\n\n"
        "A policy team compares the district as planned with two variants: without "
        "phosphorus recovery (no struvite reactor) and without greywater heat recovery (no "
        "shower heat exchangers, no greywater heat pump). Each variant is a scenario file of "
        "a few lines in `districts/scenarios/`: the base district and the units taken out."
    ),
    new_code_cell(
        "from pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n\n"
        "import nexus\n"
        "from nexus.compare import compare_kpis\n"
        "from nexus.costs import cost_table\n\n"
        "print(Path('../districts/scenarios/buiksloterham_no_struvite.toml').read_text())"
    ),
    new_code_cell(
        "files = {\n"
        "    'as planned': '../districts/buiksloterham.toml',\n"
        "    'no struvite': '../districts/scenarios/buiksloterham_no_struvite.toml',\n"
        "    'no heat recovery': '../districts/scenarios/buiksloterham_no_heat_recovery.toml',\n"
        "}\n"
        "runs = {label: nexus.simulate(nexus.load_district(f)) for label, f in files.items()}\n"
        "table = compare_kpis(runs)\n"
        "headline = [\n"
        "    'heat recovered [MWh/yr]',\n"
        "    'space heating and hot water covered [%]',\n"
        "    'phosphorus recovered for farms [kg/yr]',\n"
        "    'plant cost, priced units [EUR/yr]',\n"
        "    'district energy bill [EUR/yr]',\n"
        "    'CO2 emitted by the energy bought [t/yr]',\n"
        "]\n"
        "table.loc[headline].round(1)"
    ),
    new_markdown_cell(
        "The plant's cost and the district's energy bill are separate figures: the bill "
        "(electricity, backup heat and EV charging the homes still buy) is most of the money, "
        "and taking heat recovery out raises it by the gas the recovered heat avoided. Costs "
        "by unit, as a simulation reports them (NaN: a unit without a cited cost line, not "
        "priced):"
    ),
    new_code_cell("cost_table(runs['as planned']).round(0)"),
    new_code_cell(
        "fig, ax = plt.subplots(figsize=(7, 3))\n"
        "parts = table.loc[['plant cost, priced units [EUR/yr]', "
        "'district energy bill [EUR/yr]'], list(files)] / 1000\n"
        "parts.index = ['plant', 'energy bill']\n"
        "parts.T.plot.barh(stacked=True, ax=ax)\n"
        "ax.set_xlabel('thousand EUR per year')\n"
        "ax.set_title('Buiksloterham scenarios: what the plant costs, what the district buys')\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## The report for the council\n\n"
        "One HTML file that opens in any browser without a network: the key figures side by "
        "side, the costs by unit, Sankey diagrams of water, energy, N and P for each scenario, "
        "and every assumption with its source (the same as `nexus compare ... --report`)."
    ),
    new_code_cell(
        "import tempfile\n\n"
        "from nexus.report import write_report\n\n"
        "folder = Path(tempfile.mkdtemp())\n"
        "districts = {label: nexus.load_district(f) for label, f in files.items()}\n"
        "report = write_report(runs, folder / 'buiksloterham_scenarios.html', districts=districts)\n"
        "print(f'{report}: {report.stat().st_size / 1e6:.1f} MB; open it in a browser')"
    ),
]

#: Notebook file -> its cells.
BUILT = [
    new_markdown_cell(
        "# Built districts: four presets side by side\n\n"
        "`districts/` holds presets of districts that run parts of this loop: Sneek "
        "Noorderhoek (Waterschoon), Hamburg Jenfelder Au (HAMBURG WATER Cycle), Gent Nieuwe "
        "Dokken (DuCoop) and Helsingborg Oceanhamnen (H+ / RecoLab). Each file gives the "
        "source of every number and marks what is an assumption; `docs/districts/` has the "
        "provenance. This notebook runs them and follows the COD of each digester: to the "
        "biogas, dissolved in the effluent, to the sludge."
    ),
    new_code_cell(
        "import pandas as pd\n\n"
        "import nexus\n\n"
        "presets = ['sneek_noorderhoek', 'hamburg_jenfelder_au', 'gent_nieuwe_dokken',\n"
        "           'helsingborg_oceanhamnen']\n"
        "runs = {p: nexus.simulate(nexus.load_district(f'../districts/{p}.toml')) for p in presets}\n"
        "pd.DataFrame({p: nexus.kpis(ds) for p, ds in runs.items()}).dropna(how='all').round(1)"
    ),
    new_markdown_cell(
        "## Where the digesters' COD goes\n\n"
        "COD fed = COD to biogas + COD leaving with the effluent (dissolved methane included) + "
        "COD withdrawn with the sludge, over the year (the reactor holds nothing over whole "
        "days). Hamburg's stirred fermenter has no separate sludge: its solids leave with the "
        "digestate."
    ),
    new_code_cell(
        "from nexus.components import element_indices\n"
        "from nexus.units.adm1 import COD_kg_per_Nm3_CH4\n\n"
        "COD = list(element_indices('COD'))\n\n\n"
        "def cod_fate(ds):\n"
        "    d = ds.sel(node='digester')\n"
        "    fed = float(d['COD_in_kg_h'].sum())\n"
        "    gas = float(d['COD_to_biogas_kg_h'].sum())\n"
        "    sludge = float(d['COD_to_sludge_kg_h'].sum())\n"
        "    dissolved = float(d['methane_dissolved_Nm3_h'].sum()) * COD_kg_per_Nm3_CH4\n"
        "    return pd.Series({'biogas': gas / fed, 'dissolved methane': dissolved / fed,\n"
        "                      'sludge': sludge / fed,\n"
        "                      'effluent, other COD': 1 - (gas + sludge + dissolved) / fed})\n\n\n"
        "fate = pd.DataFrame({p: cod_fate(ds) for p, ds in runs.items()}).T\n"
        "ax = fate.plot.barh(stacked=True, figsize=(8, 3))\n"
        "ax.set_xlabel('share of the COD fed')\n"
        "fate.round(3)"
    ),
    new_markdown_cell(
        "## Against what the districts published\n\n"
        "`tests/validation/test_district_presets.py` compares each preset with the figures "
        "the districts published, with each figure's kind (measured, or a design projection) "
        "and its own uncertainty; where nexus misses, it gives the cause found. The README "
        "table is generated from it."
    ),
    new_code_cell(
        "import sys\n\n"
        "sys.path.insert(0, '../tests/validation')\n"
        "from test_district_presets import COMPARISONS\n\n"
        "pd.DataFrame([{'preset': c.preset, 'quantity': c.quantity, 'unit': c.unit,\n"
        "               'nexus': c.value, 'published': c.published, 'kind': c.kind,\n"
        "               'within its uncertainty': c.within} for c in COMPARISONS])"
    ),
]

SENSITIVITY = [
    new_markdown_cell(
        "# Which uncertain inputs decide Buiksloterham's energy and phosphorus?\n\n"
        "Ten inputs of the district file are uncertain: how many people live there, how long "
        "and how hot they shower, what their black water and kitchen waste carry, how warm the "
        "digester is kept, the exchanger's area, the magnesium dose and the homes' heat "
        "demand. `districts/sweeps/buiksloterham_uncertainty.toml` gives their distributions, "
        "each with its source or marked as an assumption. `nexus.sweep` draws a Sobol' design over them (SALib, Saltelli's scheme), "
        "simulates every scenario on a local Dask cluster of two worker processes, and "
        "`nexus.sensitivity` gives first- and total-order Sobol' indices with bootstrap "
        "confidence intervals.\n\n"
        "**Budget.** A Buiksloterham year takes about 1.3 s; the test suite runs this "
        "notebook, so the base sample is tiny: N = 4, 4 x (10 + 2) = 48 scenarios, about 40 s "
        "on two idle cores. With so few samples the 95 % intervals are as wide as the "
        "indices themselves or wider: this notebook shows the workflow, and at most "
        "which inputs stand out; it does not measure the indices. For a study, raise `samples` to 256 or more (3,072 scenarios, about half "
        "an hour on two cores, minutes on a cluster: `client='tcp://...'`)."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "import nexus\n"
        "\n"
        "district = nexus.load_district('../districts/buiksloterham.toml')\n"
        "spec = nexus.read_sweep('../districts/sweeps/buiksloterham_uncertainty.toml')\n"
        "uncertain = spec['parameters']\n"
        "for key, dist in uncertain.items():\n"
        "    print(f'{key:52} {dist}')\n"
        "# the file asks for N = 64 (768 scenarios); N = 4 here, to keep the notebook short\n"
        "ds = nexus.sweep(district, uncertain, method='sobol', samples=4, seed=1, workers=2)\n"
        "ds.sizes['scenario'], int((ds['status'] != 'ok').sum())"
    ),
    new_markdown_cell(
        "The sweep is one Dataset: a `scenario` dimension, each input a coordinate along it, "
        "each KPI a variable named from its prose name (`phosphorus recovered for farms "
        "[kg/yr]` is `phosphorus_recovered_for_farms_kg_yr`). The district's net energy "
        "yield is not one KPI: here it is the heat delivered to the homes plus the CHP's "
        "electricity, less the electricity the units draw (the heat pump's)."
    ),
    new_code_cell(
        "ds['net_energy_yield_MWh_yr'] = (\n"
        "    ds['heat_delivered_MWh_yr'] + ds['chp_electricity_from_biogas_MWh_yr']\n"
        "    - ds['electricity_drawn_by_units_MWh_yr']\n"
        ")\n"
        "ds['net_energy_yield_MWh_yr'].attrs['units'] = 'MWh yr-1'\n"
        "outputs = ['net_energy_yield_MWh_yr', 'phosphorus_recovered_for_farms_kg_yr']\n"
        "ds[outputs].to_dataframe()[outputs].describe().round(1)"
    ),
    new_code_cell(
        "indices = nexus.sensitivity(ds, outputs)\n"
        "indices[['S1', 'S1_conf', 'ST', 'ST_conf']].to_dataframe().round(2)"
    ),
    new_code_cell(
        "fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)\n"
        "names = [p.split('.')[-1] for p in indices['parameter'].values]\n"
        "for ax, output in zip(axes, outputs, strict=True):\n"
        "    s = indices.sel(output=output)\n"
        "    y = range(len(names))\n"
        "    ax.barh([i + 0.2 for i in y], s['ST'], 0.4, xerr=s['ST_conf'], label='total order')\n"
        "    ax.barh([i - 0.2 for i in y], s['S1'], 0.4, xerr=s['S1_conf'], label='first order')\n"
        "    ax.set_yticks(list(y), names)\n"
        "    ax.set_title(output)\n"
        '    ax.set_xlabel("Sobol\' index (95 % interval; N = 4)")\n'
        "axes[0].legend()\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "With N = 4 the estimates are noise-bound: first-order indices above 1 or below 0 "
        "(seen in this run) are the estimator's sampling error, and the intervals overlap "
        "zero for most inputs. What stood out in this run, to be confirmed with a larger "
        "sample: the number of residents for the energy yield (more greywater, more heat "
        "recovered), and the residents, the phosphorus in black water and the magnesium "
        "dose for the phosphorus. The homes' heat demand barely moves the yield: the "
        "district delivers what it recovers, far less than the homes ask. To resolve the "
        "smaller indices, run the same sweep with `samples=256` (and `path=`, so that an "
        "interrupted sweep restarts where it stopped)."
    ),
]

YAMAGUCHI = [
    new_markdown_cell(
        "# Yamaguchi: food waste to poultry feed, individual or joint plants?\n\n"
        "Shops in Ube, Hofu and Yamaguchi City throw away food waste; Yamaguchi Prefecture "
        "studied collecting it by truck, drying it to poultry feed and sending the eggs back "
        "to the shops, and chose an **individual plant for Ube and a joint plant for Hofu "
        "and Yamaguchi City** (Waste Engineering Laboratory 2013, via the ICLEI brochure). "
        "`districts/yamaguchi.toml` gives each city's food waste, the distances between the "
        "cities and a plant cost with economies of scale, each number with its source or "
        "marked ASSUMPTION; the optimizer chooses where each city's waste goes and which "
        "plants to build. This notebook shows its answer and how the answer moves with the "
        "truck cost and the plant cost."
    ),
    new_code_cell(
        "import copy\n"
        "import tomllib\n\n"
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\n\n"
        "import nexus\n"
        "from nexus.district import district_from_dict\n"
        "from nexus.optimize.solve import Optimizer\n\n"
        "district = nexus.load_district('../districts/yamaguchi.toml')\n"
        "k = nexus.kpis(nexus.simulate(district))\n"
        "k[k.index.str.contains('plant_ube|hens')].round(1)"
    ),
    new_markdown_cell(
        "Each tonne of food waste (30 % dry matter, the cited catering preset) gives 341 kg "
        "of dry feed at 12 % moisture; drying it takes about 918 kWh of heat (the latent "
        "heat of 659 kg of water at a dryer efficiency of 45 %, the midpoint of the published "
        "30-60 %). The eggs are those the feed's dry matter stands for in a complete layer "
        "ration (feed conversion ratio 2.108 kg/kg)."
    ),
    new_code_cell(
        "def plan(ds):\n"
        '    """Where each city\'s food waste goes: {city: city of the plant}."""\n'
        "    to = ds['route_to'][0].values\n"
        "    return {str(r).split('_')[0]: str(t).split('.')[0].removeprefix('plant_')\n"
        "            for r, t in zip(ds['route'].values, to, strict=True)}\n\n\n"
        "def name(p):\n"
        '    """The plan in words: the groups of cities sharing a plant."""\n'
        "    groups = {}\n"
        "    for city, at in p.items():\n"
        "        groups.setdefault(at, []).append(city)\n"
        "    return ' | '.join(sorted('+'.join(sorted(g)) for g in groups.values()))\n\n\n"
        "base = Optimizer(district).solve('cost')\n"
        "print(name(plan(base)), f\"{float(base['cost_per_yr'][0]) / 1e6:.1f} MJPY/yr\")"
    ),
    new_markdown_cell(
        "## Why: one plant's fixed cost against trucking the smaller city's waste\n\n"
        "Plant capital is a fixed part plus a part per t/d (the six-tenths rule drawn as a "
        "line). The per-t/d part is the same wherever the capacity stands, so a joint plant "
        "saves exactly one fixed part, and costs the trucking of one city's waste to the "
        "other. Joining city *a* to city *b* pays when the truck cost per t km is below\n\n"
        "$$c^* = \\frac{\\text{fixed capital per year}}{\\text{waste of } a\\,[t/yr] \\times "
        "\\text{distance}\\,[km]}.$$\n\n"
        "Ube is twice as far from the two others as Hofu is from Yamaguchi City, and has more "
        "waste than Hofu: its break-even truck cost is the lowest, so Ube is the first to "
        "stand alone when trucks get dearer."
    ),
    new_code_cell(
        "data = tomllib.loads(open('../districts/yamaguchi.toml').read())\n"
        "design = data['optimize']['design']['plant_ube']['capacity_t_d']\n"
        "fixed_per_yr = design['capex_fixed'] / design['lifetime_yr']  # no discounting in the file\n"
        "waste = {s.split('_')[0]: v['amount_t_yr'] for s, v in data['sources'].items()}\n"
        "pairs = {('hofu', 'yamaguchi'): 21.2, ('ube', 'hofu'): 40.5, ('ube', 'yamaguchi'): 42.6}\n"
        "pd.DataFrame([{'moved': a, 'to': b, 'km': km, 't/yr': waste[a],\n"
        "               'break-even JPY per t km': fixed_per_yr / (waste[a] * km)}\n"
        "              for (a, b), km in pairs.items()]).round(1)"
    ),
    new_markdown_cell(
        "## Sweep: truck cost x plant cost\n\n"
        "The truck cost is a mutable parameter of the model (`truck_cost_per_m3_km`; the waste "
        "is carried at 1 t/m3): one model per plant-cost factor, re-solved for each truck cost "
        "without rebuilding (about 0.1 s a solve)."
    ),
    new_code_cell(
        "truck = [10, 25, 50, 75, 100, 150, 200, 300, 400]\n"
        "factors = [0.25, 0.5, 1.0, 2.0]\n"
        "rows = []\n"
        "for f in factors:\n"
        "    d = copy.deepcopy(data)\n"
        "    for sizes in d['optimize']['design'].values():\n"
        "        sizes['capacity_t_d']['capex_fixed'] *= f\n"
        "        sizes['capacity_t_d']['capex_per_unit'] *= f\n"
        "    study = Optimizer(district_from_dict(d, file='yamaguchi.toml'))\n"
        "    for c in truck:\n"
        "        study.set(truck_cost_per_m3_km=c)\n"
        "        ds = study.solve('cost')\n"
        "        rows.append({'plant cost factor': f, 'truck JPY/(t km)': c,\n"
        "                     'plan': name(plan(ds)),\n"
        "                     'cost MJPY/yr': float(ds['cost_per_yr'][0]) / 1e6})\n"
        "sweep = pd.DataFrame(rows)\n"
        "sweep.pivot(index='plant cost factor', columns='truck JPY/(t km)', values='plan')"
    ),
    new_code_cell(
        "plans = sorted(sweep['plan'].unique(), key=lambda p: p.count('|'))\n"
        "code = sweep['plan'].map({p: i for i, p in enumerate(plans)})\n"
        "grid = code.to_numpy().reshape(len(factors), len(truck))\n"
        "fig, ax = plt.subplots(figsize=(8, 3.2))\n"
        "im = ax.imshow(grid, cmap='viridis', aspect='auto', origin='lower')\n"
        "ax.set_xticks(range(len(truck)), truck)\n"
        "ax.set_yticks(range(len(factors)), factors)\n"
        "ax.set_xlabel('truck cost [JPY per t km]')\n"
        "ax.set_ylabel('plant cost factor')\n"
        "cbar = fig.colorbar(im, ticks=range(len(plans)))\n"
        "cbar.ax.set_yticklabels(plans, fontsize=7)\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "**Reading.** At the file's figures (50 JPY per t km, a 1 t/d plant at 60 MJPY) the "
        "optimizer builds one joint plant in Yamaguchi City for all three cities: trucking "
        "Ube's waste 42.6 km costs less a year than a second plant's fixed capital. The "
        "prefecture's plan (Ube alone, Hofu with Yamaguchi) is the optimum in a band: truck "
        "costs between Ube's break-even (about 67 JPY per t km at the file's plant cost) and "
        "Hofu's (about 197), or, at 50 JPY, plant costs below about three quarters of the "
        "file's. Above both break-evens each city builds its own plant. The difference from "
        "the prefecture is therefore the ratio of truck to plant cost, not the geography: "
        "the geography (Ube far from both, Hofu near Yamaguchi City) orders the plans the "
        "same way the prefecture did. The file's truck cost (a Tokyo-Osaka parcel rate) and "
        "plant cost (ASSUMPTION) are the weakest inputs; a short-haul collection truck that "
        "runs part-empty costs more per t km than a long-haul rate, which moves the answer "
        "towards the prefecture's."
    ),
    new_markdown_cell(
        "## Feed or biogas\n\n"
        "`districts/scenarios/yamaguchi_biogas.toml` offers each city's waste a digester in "
        "Ube as well (its biogas to a CHP that sells electricity). The feed is sold at the "
        "price of the compound layer feed it replaces (`[optimize.prices] feed_per_t`, MAFF's "
        "farm purchase price of layer feed, FY2012: 75,189 JPY/t); the digester's capital "
        "follows the Ministry of the Environment's Nagaoka plant (65 t/d, about 1.9 billion "
        "JPY) by the six-tenths rule. The feed price is a mutable parameter: one model, "
        "re-solved for each price."
    ),
    new_code_cell(
        "biogas = nexus.load_district('../districts/scenarios/yamaguchi_biogas.toml')\n"
        "study = Optimizer(biogas)\n"
        "rows = []\n"
        "for price in [0, 20000, 40000, 50000, 55000, 57000, 58000, 60000, 75189]:\n"
        "    study.set(feed_per_t=price)\n"
        "    ds = study.solve('cost')\n"
        "    rows.append({'feed JPY/t': price, 'waste to': ', '.join(sorted(set(plan(ds).values()))),\n"
        "                 'cost MJPY/yr': float(ds['cost_per_yr'][0]) / 1e6,\n"
        "                 'feed sold MJPY/yr': 0.0 - float(ds['opex_products_sold_per_yr'][0]) / 1e6,\n"
        "                 'electricity sold MJPY/yr':\n"
        "                     0.0 - float(ds['opex_electricity_export_per_yr'][0]) / 1e6})\n"
        "feed_sweep = pd.DataFrame(rows)\n"
        "feed_sweep.round(2)"
    ),
    new_markdown_cell(
        "The answer is all or nothing: below a break-even feed price every city's waste goes "
        "to the digester, above it every city's goes to one joint feed plant in Yamaguchi "
        "City. The break-even, by hand from the two designs' costs: the biogas design's cost "
        "does not depend on the feed price; the feed design's falls by the price times the "
        "feed it makes (the waste's 30 % dry matter at 12 % moisture)."
    ),
    new_code_cell(
        "waste_t = sum(biogas.nodes[f'{c}_waste'].params.amount_kg_yr for c in waste) / 1e3\n"
        "feed_t = waste_t * 0.30 / (1 - 0.12)\n"
        "gas = feed_sweep.iloc[0]  # no feed price: the biogas design\n"
        "fed = feed_sweep.iloc[-1]  # the cited price: the feed design\n"
        "feed_cost = fed['cost MJPY/yr'] * 1e6 + fed['feed JPY/t'] * feed_t\n"
        "break_even = (feed_cost - gas['cost MJPY/yr'] * 1e6) / feed_t\n"
        "pd.Series({'feed design, before the feed sold [JPY per t waste]': feed_cost / waste_t,\n"
        "           'biogas design [JPY per t waste]': gas['cost MJPY/yr'] * 1e6 / waste_t,\n"
        "           'feed per t waste [t]': feed_t / waste_t,\n"
        "           'break-even feed price [JPY/t]': break_even}).round(3)"
    ),
    new_markdown_cell(
        "**Reading.** Per tonne of waste the feed design costs about 16,000 JPY before its "
        "feed is sold (918 kWh of backup heat to dry it at 10 JPY/kWh, 50 kWh of electricity, "
        "the joint plant's capital, trucking); the biogas design earns about 3,700 JPY net "
        "(447 kWh of electricity sold at 25 JPY/kWh, less the digester's capital and "
        "trucking). A tonne of waste makes 0.341 t of feed, so feed wins above about 57,700 "
        "JPY per t of feed; the cited layer-feed price (75,189 JPY/t, FY2012) is 30 % above "
        "it. The weakest inputs are the prices: the feed is valued as a complete layer feed "
        "(an upper bound: food-waste feed is incomplete), the dryer's heat is bought backup "
        "heat while the CHP's surplus heat is not valued (no heat user is connected), and "
        "the digester's cost is per m3, so the optimizer digests all three cities' waste in "
        "the one-city volume (600 m3, 79.5 % COD removed); at the three-city cost of the "
        "six-tenths line the break-even would be about 41,900 JPY/t."
    ),
]

CHAOYANG = [
    new_markdown_cell(
        "# Beijing Chaoyang: waste to energy and industrial waste heat\n\n"
        "The Chaoyang Circular Economy Industrial Park (Gao'antun) burns the district's "
        "municipal solid waste in a waste-to-energy (WtE) plant: electricity to EV charging "
        "and the grid, extraction steam to the park's heat network. The park's plants also "
        "reject low-temperature heat (35 °C, an ASSUMPTION of the file) that a heat pump can "
        "lift to the network's 80 °C. `districts/chaoyang.toml` gives each figure with its "
        "source; `docs/waste_heat.md` explains the models."
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "import nexus\n"
        "\n"
        "district = nexus.load_district('../districts/chaoyang.toml')\n"
        "ds = nexus.simulate(district, check_balances=True)  # every balance closes to 1e-9\n"
        "table = nexus.kpis(ds)\n"
        "mine = [k for k in table.index if k.split(':')[0] in "
        "('wte', 'industry_heat', 'hp', 'heat_network')]\n"
        "table[mine].round(1)"
    ),
    new_markdown_cell(
        "A week of January: the heat pump runs on the waste heat of the day shift and, "
        "within what the night shift still rejects, at night; the WtE plant's steam tops "
        "the network up. The network asks for the buildings' demand plus 15 % pipe losses."
    ),
    new_code_cell(
        "week = slice('2025-01-13', '2025-01-19')\n"
        "fig, ax = plt.subplots(figsize=(10, 4))\n"
        "hp = ds['heat_delivered_kW'].sel(node='hp', time=week) / 1000\n"
        "wte = ds['wte_heat_kW'].sel(node='wte', time=week) / 1000\n"
        "ax.stackplot(hp['time'].values, hp, wte, labels=['heat pump (waste heat)', 'WtE steam'])\n"
        "need = ds['space_heating_demand_kW'].sel(node='heat_network', time=week) / 1000\n"
        "ax.plot(need['time'].values, need, 'k', lw=1, label='network demand (with losses)')\n"
        "ax.set_ylabel('heat [MW]')\n"
        "ax.legend(loc='upper right')\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## RMB 233 million or 2.33 million?\n\n"
        "The brochure's English text says the waste-heat reuse saves RMB 233 million a "
        "year, its Chinese text 233万元 (RMB 2.33 million). Price heat at Beijing's metered "
        "0.16 CNY/kWh (44.45 CNY/GJ) and compare with what the model says the plant and "
        "the park can do."
    ),
    new_code_cell(
        "from nexus.buildings import in_season\n"
        "\n"
        "price = 0.16  # CNY/kWh, Beijing Municipal Government, 'Home heating'\n"
        "p = district.units['wte'].params\n"
        "fuel = ds['waste_fuel_kW'].sel(node='wte')\n"
        "season = in_season(ds.indexes['time'], 319, 74)\n"
        "net = ds.sel(node='heat_network')\n"
        "taken = float((net['space_heating_demand_kW'] - net['space_heating_unmet_kW']).sum())\n"
        "rows = {\n"
        "    'all the waste energy of a year, sold as heat': float(fuel.sum()) * price,\n"
        "    'the most heat the plant can extract in a season': "
        "float((p.heat_max_frac * fuel * season).sum()) * price,\n"
        "    'the heat the park network takes in a season': taken * price,\n"
        "    'English text': 233e6,\n"
        "    'Chinese text': 2.33e6,\n"
        "}\n"
        "{k: f'{v / 1e6:,.1f} million CNY' for k, v in rows.items()}"
    ),
    new_markdown_cell(
        "RMB 233 million is more than all the energy of the waste the plant burns in a year "
        "would fetch as heat: impossible. RMB 2.33 million is of the order of the heat the "
        "park's network takes in a season (with 100,000 m2 of floor area, an ASSUMPTION of "
        "the file: the park's area was not found) and a small part of what the plant can "
        "give: plausible. The Chinese figure is the right one; the English text read "
        "万 (ten thousand) as a million."
    ),
    new_markdown_cell(
        "## Is the waste heat worth a heat pump?\n\n"
        "The optimizer chooses the heat pump's size and the waste-heat recovery's capacity "
        "(0: not used). With the plant's steam at hand it builds neither: a kWh of "
        "extracted steam costs 0.135 kWh of electricity, a kWh lifted from 30 to 80 °C "
        "costs 1/COP = 0.31 kWh and the pump."
    ),
    new_code_cell(
        "from nexus.optimize import solve\n"
        "\n"
        "best = solve(district)\n"
        "{n: float(best['capacity_kW'].sel(node=n)[0]) for n in ('hp', 'industry_heat')}"
    ),
]

NOTEBOOKS = {
    "01_buiksloterham.ipynb": BUIKSLOTERHAM,
    "02_optimize.ipynb": OPTIMIZE,
    "03_policy_comparison.ipynb": POLICY,
    "04_sensitivity.ipynb": SENSITIVITY,
    "05_built_districts.ipynb": BUILT,
    "06_yamaguchi.ipynb": YAMAGUCHI,
    "07_chaoyang.ipynb": CHAOYANG,
}


def write() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells)
        for i, cell in enumerate(nb.cells):  # stable ids: a regenerated notebook diffs clean
            cell.id = f"{name.split('_')[0]}-{i:02d}"
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    write()
