/** @odoo-module **/
/**
 * Integrator (runs in zh_CN): an order posted to the channel's webhook is in
 * the staged list; processed, it is a confirmed sales order.
 * Data and the signed HTTP POST: oms_channels/tests/test_tour_channel_webhook.py
 */
import {registry} from "@web/core/registry";
import {
  omsScreenshot,
  openMenu,
  stageIs,
  omsSteps,
} from "@oms_core/../tests/tours/oms_tour_utils";

const REF = "MINI-20261122-001";

registry.category("web_tour.tours").add("oms_channel_webhook_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_channels.oms_channels_menu_channels_root",
        "oms_channels.oms_channel_order_menu"
      ),
      {
        content: "the list opens on the failed orders: show them all",
        trigger: ".o_searchview_facet .o_facet_remove",
        run: "click",
      },
      {
        content: "the webhook's order is staged, to process",
        trigger: `.o_list_view .o_data_row:contains(${REF}) td[name=state]`,
      },
      omsScreenshot("channels-staged", `.o_list_view .o_data_row:contains(${REF})`),
      {
        content: "open it",
        trigger: `.o_list_view .o_data_row:contains(${REF}) td[name=external_ref]`,
        run: "click",
      },
      stageIs("state", "received"),
      {
        content: "process it now (the cron would too)",
        trigger: ".o_form_view button[name=action_process]",
        run: "click",
      },
      stageIs("state", "imported"),
      {
        content: "open the sales order",
        trigger: ".o_form_view .o_field_widget[name=sale_order_id] a",
        run: "click",
      },
      stageIs("oms_stage", "approved"),
      {
        content: "for the mini-program's customer",
        trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(周杰)",
      },
      omsScreenshot("channels-order", ".o_form_view .o_field_widget[name=partner_id]"),
    ]),
});
