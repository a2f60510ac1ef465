/** @odoo-module **/
/**
 * Customer service (runs in zh_CN): the shop resent an imported order with a
 * new quantity and address; the order shows the channel's update log.
 * Data: oms_channels/tests/test_tour_channel_update.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, omsSteps} from "@oms_core/../tests/tours/oms_tour_utils";

registry.category("web_tour.tours").add("oms_channel_update_tour", {
  steps: () =>
    omsSteps([
      {
        content: "the order has the new quantity",
        trigger:
          ".o_form_view .o_field_widget[name=order_line] td[name=product_uom_qty]:contains(3)",
      },
      {
        content: "open the channel updates tab",
        trigger: ".o_form_view .o_notebook a[name=oms_channel_updates]",
        run: "click",
      },
      {
        content: "the update is applied (已应用) with the shop's version",
        trigger:
          ".o_field_widget[name=oms_channel_update_ids] .o_data_row td[name=state]:contains(已应用)",
      },
      {
        content: "with the changes: the quantity and the address",
        trigger:
          ".o_field_widget[name=oms_channel_update_ids] .o_data_row td[name=changes]:contains(淮海中路 999 号)",
      },
      {
        content: "the chatter lists the changes the channel made",
        trigger: ".o-mail-Message:contains(淮海中路 999 号)",
      },
      omsScreenshot(
        "channels-order-updated",
        ".o_field_widget[name=oms_channel_update_ids] .o_data_row"
      ),
    ]),
});
