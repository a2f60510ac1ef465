/** @odoo-module **/
/**
 * The KPI dashboard of the order managers (Order Management > Reporting >
 * KPI Dashboard): the figures of oms.kpi.get_dashboard_data for a period and
 * channels, each with its trend against the previous period (coloured by
 * whether lower or higher is better, as oms.kpi defines it), a drill-down to
 * the orders behind it, and the exception Pareto.
 */
import {
  Component,
  onWillStart,
  onWillUnmount,
  useEffect,
  useRef,
  useState,
} from "@odoo/owl";
import {loadBundle} from "@web/core/assets";
import {serializeDate} from "@web/core/l10n/dates";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {
  formatFloat,
  formatInteger,
  formatMonetary,
  formatPercentage,
} from "@web/views/fields/formatters";

const {DateTime} = luxon;

/** The periods offered, in days up to today. */
const PERIODS = [7, 30, 90, 365];

/**
 * The cards in display order: the key of the KPI in oms.kpi and how its value
 * reads. Whether lower is better comes from oms.kpi (OMS_KPI_LOWER_IS_BETTER).
 */
const KPI_CARDS = [
  {key: "orders", label: _t("Orders"), format: "integer"},
  {key: "revenue", label: _t("Revenue"), format: "monetary"},
  {key: "aov", label: _t("Average Order Value"), format: "monetary"},
  {key: "perfect_order_rate", label: _t("Perfect Order Rate"), format: "rate"},
  {key: "on_time_rate", label: _t("On-time Delivery Rate"), format: "rate"},
  {key: "promise_kept_rate", label: _t("Promise Kept Rate"), format: "rate"},
  {key: "fill_rate", label: _t("Fill Rate"), format: "rate"},
  {key: "order_accuracy_rate", label: _t("Order Accuracy Rate"), format: "rate"},
  {key: "touchless_rate", label: _t("Touchless Rate"), format: "rate"},
  {
    key: "manual_intervention_rate",
    label: _t("Manual Intervention Rate"),
    format: "rate",
  },
  {key: "exception_rate", label: _t("Exception Rate"), format: "rate"},
  {key: "cancellation_rate", label: _t("Cancellation Rate"), format: "rate"},
  {key: "backorder_rate", label: _t("Back-order Rate"), format: "rate"},
  {key: "return_rate", label: _t("Return Rate"), format: "rate"},
  {key: "cycle_time_avg_h", label: _t("Average Cycle Time"), format: "hours"},
  {key: "cycle_time_p90_h", label: _t("Cycle Time (90th percentile)"), format: "hours"},
  {key: "review_time_avg_h", label: _t("Average Review Time"), format: "hours"},
  {key: "dso_days", label: _t("Days Sales Outstanding"), format: "days"},
  {key: "cost_per_order", label: _t("Cost per Order"), format: "monetary"},
  {key: "csat", label: _t("Customer Satisfaction (CSAT)"), format: "stars"},
  {key: "nps", label: _t("Net Promoter Score (NPS)"), format: "score"},
];

export class OmsKpiDashboard extends Component {
  static template = "oms_reports.KpiDashboard";
  static props = ["*"];

  setup() {
    this.orm = useService("orm");
    this.actionService = useService("action");
    this.periods = PERIODS.map((days) => ({
      days,
      label: _t("Last %s days", days),
    }));
    this.state = useState({
      days: 30,
      channelIds: [],
      channels: [],
      data: null,
    });
    this.paretoCanvas = useRef("pareto");
    this.chart = null;
    onWillStart(async () => {
      const [channels] = await Promise.all([
        this.orm.searchRead("oms.channel", [], ["name"]),
        loadBundle("web.chartjs_lib"),
        this.load(),
      ]);
      this.state.channels = channels;
    });
    useEffect(
      () => this.renderPareto(),
      () => [this.state.data]
    );
    onWillUnmount(() => this.chart?.destroy());
  }

  // ---------------------------------------------------------------- data
  get range() {
    const today = DateTime.local().startOf("day");
    return {
      dateFrom: serializeDate(today.minus({days: this.state.days - 1})),
      dateTo: serializeDate(today),
    };
  }

  async load() {
    const {dateFrom, dateTo} = this.range;
    this.state.data = await this.orm.call("oms.kpi", "get_dashboard_data", [
      dateFrom,
      dateTo,
      this.state.channelIds,
    ]);
  }

  async setPeriod(days) {
    this.state.days = days;
    await this.load();
  }

  async toggleChannel(channelId) {
    const ids = this.state.channelIds;
    this.state.channelIds = ids.includes(channelId)
      ? ids.filter((id) => id !== channelId)
      : [...ids, channelId];
    await this.load();
  }

  async allChannels() {
    this.state.channelIds = [];
    await this.load();
  }

  // ---------------------------------------------------------------- cards
  get cards() {
    const {kpis, lower_is_better, drilldowns} = this.state.data;
    return KPI_CARDS.map((card) => {
      const value = kpis[card.key];
      const change = kpis.change[card.key];
      const lowerIsBetter = lower_is_better.includes(card.key);
      let trend = "flat";
      if (change !== false && Math.abs(change) > 1e-9) {
        trend = change > 0 !== lowerIsBetter ? "good" : "bad";
      }
      return {
        ...card,
        value: this.formatValue(card.format, value),
        previousLabel: _t(
          "(previous: %s)",
          this.formatValue(card.format, kpis.previous[card.key])
        ),
        change: change === false ? "" : this.formatChange(card.format, change),
        direction: change > 0 ? "up" : change < 0 ? "down" : "flat",
        trend,
        lowerIsBetter,
        canDrillDown: drilldowns.includes(card.key),
      };
    });
  }

  formatValue(format, value) {
    if (value === false) {
      return _t("No data");
    }
    const currencyId = this.state.data.currency_id;
    switch (format) {
      case "integer":
        return formatInteger(value);
      case "monetary":
        return formatMonetary(value, {currencyId});
      case "rate":
        return formatPercentage(value, {digits: [false, 1]});
      case "hours":
        return _t("%s h", formatFloat(value, {digits: [false, 1]}));
      case "days":
        return _t("%s days", formatFloat(value, {digits: [false, 1]}));
      case "stars":
        return _t("%s / 5", formatFloat(value, {digits: [false, 2]}));
      default:
        return formatFloat(value, {digits: [false, 0]});
    }
  }

  formatChange(format, change) {
    const sign = change > 0 ? "+" : "−";
    const size = Math.abs(change);
    if (format === "rate") {
      return _t("%(sign)s%(points)s pts", {
        sign,
        points: formatFloat(size * 100, {digits: [false, 1]}),
      });
    }
    return sign + this.formatValue(format, size);
  }

  async openCard(card) {
    if (!card.canDrillDown) {
      return;
    }
    const {dateFrom, dateTo} = this.range;
    const action = await this.orm.call("oms.kpi", "get_drilldown_action", [
      card.key,
      dateFrom,
      dateTo,
      this.state.channelIds,
    ]);
    // the list is named after the figure
    const name = card.label.toString();
    await this.actionService.doAction({...action, name, display_name: name});
  }

  // ---------------------------------------------------------------- Pareto
  renderPareto() {
    this.chart?.destroy();
    this.chart = null;
    const canvas = this.paretoCanvas.el;
    const pareto = this.state.data?.kpis.exception_pareto || [];
    if (!canvas || !pareto.length) {
      return;
    }
    this.chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: pareto.map((row) => row.name),
        datasets: [
          {
            type: "bar",
            label: _t("Exceptions"),
            data: pareto.map((row) => row.count),
            yAxisID: "y",
            backgroundColor: "#875a7b",
          },
          {
            type: "line",
            label: _t("Cumulative share (%)"),
            data: pareto.map((row) => Math.round(row.cumulative_share * 1000) / 10),
            yAxisID: "share",
            borderColor: "#f0ad4e",
            backgroundColor: "#f0ad4e",
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: {beginAtZero: true, ticks: {precision: 0}},
          share: {position: "right", min: 0, max: 100},
        },
      },
    });
  }
}

registry.category("actions").add("oms_reports.kpi_dashboard", OmsKpiDashboard);
