/** @odoo-module **/
/**
 * Integrator (runs in zh_CN): an order posted to the channel's webhook is in
 * the staged list; processed, it is a confirmed sales order. A second order
 * waits on an unknown SKU: mapped from its error, it is imported. The
 * channel's Test Connection tells that the platform answers.
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
const UNKNOWN_SKU_NUMBER = "小程序订单 0002";

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
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_channels.oms_channels_menu_channels_root",
        "oms_channels.oms_channel_order_menu"
      ),
      {
        content: "the failed order is named by the shop's order number",
        trigger: `.o_list_view .o_data_row:contains(${UNKNOWN_SKU_NUMBER}) td[name=order_number]`,
        run: "click",
      },
      {
        content: "its payload reads indented",
        trigger: ".o_field_widget.font-monospace[name=payload_display]:contains(lines)",
      },
      {
        content: "map the unknown SKU from the error",
        trigger: ".o_form_view button[name=action_open_sku_map]",
        run: "click",
      },
      {
        content: "to the product it is",
        trigger: ".modal .o_field_widget[name=product_id] input",
        run: "edit 白毫银针",
      },
      {
        trigger: ".o-autocomplete--dropdown-item:contains(白毫银针)",
        run: "click",
      },
      {
        content: "map it and process the order again",
        trigger: ".modal button[name=action_apply]",
        run: "click",
      },
      {
        content: "the notification tells the import",
        trigger: ".o_notification:has(.o_notification_bar.bg-success)",
      },
      stageIs("state", "imported"),
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_config",
        "oms_channels.oms_channel_menu"
      ),
      {
        content: "open the channel",
        trigger: ".o_list_view .o_data_row:contains(微信小程序商城) td[name=name]",
        run: "click",
      },
      {
        content: "test its connection",
        trigger: ".o_form_view button[name=action_test_connection]",
        run: "click",
      },
      {
        content: "the platform answers",
        trigger: ".o_notification:has(.o_notification_bar.bg-success)",
      },
    ]),
});
