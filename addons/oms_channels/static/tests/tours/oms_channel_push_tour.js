/** @odoo-module **/
/**
 * Customer service (runs in zh_CN): a partial delivery of a shop's order is
 * validated with a backorder; once the outbox has sent it, the order shows the
 * shipment sent to the shop.
 * Data and the sending: oms_channels/tests/test_tour_channel_push.py
 */
import {registry} from "@web/core/registry";
import {stageIs, omsSteps} from "@oms_core/../tests/tours/oms_tour_utils";

registry.category("web_tour.tours").add("oms_channel_push_ship_tour", {
  steps: () =>
    omsSteps([
      {
        content: "open the order's delivery",
        trigger: ".o_form_view button[name=action_view_delivery]",
        run: "click",
      },
      {
        content: "only one tea box is ready: set its quantity",
        trigger:
          ".o_field_widget[name=move_ids_without_package] .o_data_row:first-child td[name=quantity]",
        run: "click",
      },
      {
        content: "one",
        trigger:
          ".o_field_widget[name=move_ids_without_package] .o_data_row:first-child td[name=quantity] input",
        run: "edit 1",
      },
      {
        content: "validate",
        trigger: ".o_form_view button[name=button_validate]",
        run: "click",
      },
      {
        content: "the rest ships later: create a backorder",
        trigger: ".modal button[name=process]",
        run: "click",
      },
      stageIs("state", "done"),
    ]),
});

registry.category("web_tour.tours").add("oms_channel_push_order_tour", {
  steps: () =>
    omsSteps([
      {
        content: "the order shows what was sent to the shop",
        trigger: ".o_form_view button[name=action_oms_view_outbox]",
      },
      {
        content: "open the channel sync tab",
        trigger: ".o_notebook a[name=oms_outbox]",
        run: "click",
      },
      {
        content: "the shipment was sent to the shop",
        trigger:
          ".o_field_widget[name=oms_outbox_ids] .o_data_row:contains(发送到微信小程序商城)",
      },
    ]),
});
